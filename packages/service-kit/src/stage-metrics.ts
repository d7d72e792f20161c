import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Subscription } from './bus.js'

/** Every series carries `consumes`: the topic a kernel reads (a process may run several kernels). */
export interface StageMetrics {
  registry: Registry
  tasks: Counter<'consumes' | 'outcome' | 'code'>
  deadLetters: Counter<'consumes' | 'code'>
  retries: Counter<'consumes' | 'code'>
  seconds: Histogram<'consumes'>
  /** Reports each consumer's restarts, rebalances and running state at each scrape. */
  watch: (consumes: string, subscription: Subscription) => void
}

/** A stage process's Prometheus metrics: tasks by outcome, dead letters, retries, and its consumers' health. */
export function createStageMetrics (stage: string): StageMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: `faceblur_${stage}_` })
  const subscriptions = new Map<string, Subscription>()
  const consumer = (pick: (h: ReturnType<Subscription['health']>) => number) => function (this: Gauge<'consumes'>) {
    for (const [consumes, s] of subscriptions) this.set({ consumes }, pick(s.health()))
  }
  const labelNames = ['consumes'] as const
  new Gauge({ name: 'faceblur_stage_consumer_running', help: '1 while the consumer is joined and polling', labelNames, registers: [registry], collect: consumer((h) => h.running ? 1 : 0) })
  new Gauge({ name: 'faceblur_stage_consumer_restarts', help: 'consumer restarts after a crash', labelNames, registers: [registry], collect: consumer((h) => h.restarts) })
  new Gauge({ name: 'faceblur_stage_consumer_rebalances', help: 'group joins (the first and one per rebalance)', labelNames, registers: [registry], collect: consumer((h) => h.rebalances) })
  return {
    registry,
    tasks: new Counter({ name: 'faceblur_stage_tasks_total', help: 'tasks this stage finished, by outcome and error code', labelNames: ['consumes', 'outcome', 'code'], registers: [registry] }),
    deadLetters: new Counter({ name: 'faceblur_stage_dead_letters_total', help: 'events sent to the dead-letter topic', labelNames: ['consumes', 'code'], registers: [registry] }),
    retries: new Counter({ name: 'faceblur_stage_retries_total', help: 'retries of retriable failures', labelNames: ['consumes', 'code'], registers: [registry] }),
    seconds: new Histogram({ name: 'faceblur_stage_task_seconds', help: 'time per task (or video segment) in this stage', labelNames, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120], registers: [registry] }),
    watch: (consumes, s) => { subscriptions.set(consumes, s) }
  }
}
