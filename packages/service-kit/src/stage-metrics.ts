import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Subscription } from './bus.js'

export interface StageMetrics {
  registry: Registry
  tasks: Counter<'outcome' | 'code'>
  deadLetters: Counter<'code'>
  retries: Counter<'code'>
  seconds: Histogram
  /** Reports the consumer's restarts, rebalances and running state at each scrape. */
  watch: (subscription: Subscription) => void
}

/** A stage's Prometheus metrics: tasks by outcome, dead letters, retries, and its consumer's health. */
export function createStageMetrics (stage: string): StageMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: `faceblur_${stage}_` })
  let subscription: Subscription | undefined
  const consumer = (pick: (h: ReturnType<Subscription['health']>) => number) => function (this: Gauge) {
    if (subscription !== undefined) this.set(pick(subscription.health()))
  }
  new Gauge({ name: 'faceblur_stage_consumer_running', help: '1 while the consumer is joined and polling', registers: [registry], collect: consumer((h) => h.running ? 1 : 0) })
  new Gauge({ name: 'faceblur_stage_consumer_restarts', help: 'consumer restarts after a crash', registers: [registry], collect: consumer((h) => h.restarts) })
  new Gauge({ name: 'faceblur_stage_consumer_rebalances', help: 'group joins (the first and one per rebalance)', registers: [registry], collect: consumer((h) => h.rebalances) })
  return {
    registry,
    tasks: new Counter({ name: 'faceblur_stage_tasks_total', help: 'tasks this stage finished, by outcome and error code', labelNames: ['outcome', 'code'], registers: [registry] }),
    deadLetters: new Counter({ name: 'faceblur_stage_dead_letters_total', help: 'events sent to the dead-letter topic', labelNames: ['code'], registers: [registry] }),
    retries: new Counter({ name: 'faceblur_stage_retries_total', help: 'retries of retriable failures', labelNames: ['code'], registers: [registry] }),
    seconds: new Histogram({ name: 'faceblur_stage_task_seconds', help: 'time per task in this stage', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120], registers: [registry] }),
    watch: (s) => { subscription = s }
  }
}
