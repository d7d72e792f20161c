#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { namesFor } from '@faceblur/contracts'
import { busFromConfig, createLogger, onShutdown, provision, storeFromConfig } from '@faceblur/service-kit'
import { buildApp } from './app.js'
import { parseKeys } from './auth.js'
import { loadConfig } from './config.js'
import { startStatusFeed } from './status-feed.js'
import { TaskView } from './task-view.js'
import { startSweeper } from './view-sweeper.js'

const config = loadConfig(process.env)
const logger = createLogger('gateway', config.LOG_LEVEL)
const keys = parseKeys(config.FACEBLUR_API_KEYS, config.FACEBLUR_API_KEYS_FILE === '' ? undefined : readFileSync(config.FACEBLUR_API_KEYS_FILE, 'utf8'))

// Few retries: with Kafka down an upload is answered 503 + Retry-After in seconds, not after a minute.
const bus = busFromConfig(config, 'gateway', logger, { retries: 3 })
const store = storeFromConfig(config)
const names = namesFor(config.FACEBLUR_NAMESPACE)
await provision(bus, store, names.topics, config)
const view = new TaskView({ ttlMs: config.FACEBLUR_RESULT_TTL_HOURS * 3600_000, maxAgeMs: config.FACEBLUR_TASK_MAX_AGE_HOURS * 3600_000 })
const feed = await startStatusFeed(bus, names.topics, view, logger)
const sweeper = startSweeper({ view, bus, store, topics: names.topics, logger, everyMs: config.FACEBLUR_VIEW_SWEEP_S * 1000 })

// Listen only once the view has read the status topic, so no existing task is answered 404.
const started = Date.now()
const timedOut = await Promise.race([
  feed.caughtUp.then(() => false),
  new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.FACEBLUR_VIEW_CATCHUP_S * 1000).unref())
])
if (timedOut) logger.warn({ seconds: config.FACEBLUR_VIEW_CATCHUP_S }, 'task view still catching up; listening anyway (/ready says 503 until it is done)')
else logger.info({ tasks: view.size, ms: Date.now() - started }, 'task view caught up with the status topic')

const app = await buildApp({ config, bus, store, view, names, apiKeys: keys, viewCaughtUp: () => feed.isCaughtUp && feed.health().running, logger })
await app.listen({ port: config.PORT, host: config.HOST })
logger.info({ apiKeys: keys.length, rateLimitPerMinute: config.FACEBLUR_RATE_LIMIT_PER_MINUTE }, 'gateway ready')

onShutdown(logger, async () => {
  sweeper.stop()
  await app.close() // stops accepting, lets in-flight uploads finish
  await feed.stop()
  await bus.close() // flushes the producer
})
