import { namesFor, type Topics } from '@faceblur/contracts'
import type { Logger } from 'pino'
import { cachedFor } from './cached.js'
import { busFromConfig, storeFromConfig } from './connect.js'
import type { StageConfig } from './env-config.js'
import { startHealthServer, type HealthReport } from './health-server.js'
import type { ObjectStore } from './object-store.js'
import { provision } from './provision.js'
import { onShutdown } from './shutdown.js'
import type { Subscription } from './bus.js'
import { runStage, type StageDefinition } from './stage-kernel.js'
import { createStageMetrics } from './stage-metrics.js'

export interface StageServiceOptions {
  /** Which service: names its Kafka client and its metrics. */
  role: string
  config: StageConfig
  logger: Logger
  /** 0: no health server. */
  healthPort: number
  /** Extra fields for /health and /ready (e.g. the model). */
  details?: Record<string, unknown>
  /** The stage's kernels (images, video segments, …), given the store and topics the service connected to. */
  definitions: (deps: { store: ObjectStore, topics: Topics }) => Array<StageDefinition<any>>
  /** Runs on shutdown after the consumer has left its group. */
  close?: () => Promise<void>
}

/**
 * Everything a stage process does besides its work: connects to Kafka and the store and
 * provisions them, runs a kernel per definition with the configured deadlines
 * and retries, serves `/health`, `/ready` (false while the consumer is not joined and polling,
 * or Kafka or the store does not answer) and `/metrics`, and stops cleanly on SIGTERM.
 */
export async function serveStage (options: StageServiceOptions): Promise<void> {
  const { config, logger, details = {} } = options
  const bus = busFromConfig(config, options.role, logger)
  const store = storeFromConfig(config)
  const { topics, groups } = namesFor(config.FACEBLUR_NAMESPACE)
  await provision(bus, store, topics, config)
  const metrics = createStageMetrics(options.role)
  const subscriptions: Subscription[] = []
  for (const definition of options.definitions({ store, topics })) {
    const subscription = await runStage({
      bus,
      store,
      logger,
      metrics,
      topics,
      groups,
      maxSourceBytes: config.FACEBLUR_MAX_UPLOAD_BYTES,
      taskTimeoutMs: config.FACEBLUR_TASK_TIMEOUT_S * 1000,
      retry: { maxMs: config.FACEBLUR_RETRY_MAX_S * 1000, initialDelayMs: 500, maxDelayMs: 10_000 },
      sessionTimeoutMs: config.FACEBLUR_KAFKA_SESSION_TIMEOUT_S * 1000,
      rebalanceTimeoutMs: config.FACEBLUR_KAFKA_REBALANCE_TIMEOUT_S * 1000,
      heartbeatIntervalMs: Math.min(3000, config.FACEBLUR_KAFKA_SESSION_TIMEOUT_S * 1000 / 5)
    }, definition)
    metrics.watch(definition.consumes, subscription)
    subscriptions.push(subscription)
  }

  // Probes may come many times a second: Kafka and MinIO are asked at most every 2 s.
  const dependencies = cachedFor(2000, async () => await Promise.all([bus.ready([]), store.ready()]))
  const health = options.healthPort === 0
    ? undefined
    : await startHealthServer(options.healthPort, config.FACEBLUR_HEALTH_HOST, {
      health: () => ({ ok: true, ...details }),
      ready: async (): Promise<HealthReport> => {
        const consumers = subscriptions.map((s) => s.health())
        const running = consumers.every((c) => c.running)
        const [kafka, s3] = await dependencies()
        return { ok: running && kafka && s3, consumer: running, kafka, s3, restarts: consumers.reduce((n, c) => n + c.restarts, 0), ...details }
      },
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() })
    })
  logger.info({ health: options.healthPort, consumes: subscriptions.length }, `${options.role} consuming`)

  onShutdown(logger, async () => {
    await Promise.all(subscriptions.map(async (s) => { await s.stop() }))
    await bus.close()
    await options.close?.()
    health?.close()
  })
}
