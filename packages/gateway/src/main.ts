#!/usr/bin/env node
import { namesFor } from '@faceblur/contracts'
import { createBus, createLogger, createObjectStore, onShutdown, provision } from '@faceblur/service-kit'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { startStatusFeed } from './status-feed.js'
import { TaskView } from './task-view.js'

const config = loadConfig(process.env)
const logger = createLogger('gateway', config.LOG_LEVEL)

const bus = createBus({ brokers: config.KAFKA_BROKERS.split(','), clientId: `${config.KAFKA_CLIENT_ID}-gateway`, logger })
const store = createObjectStore({
  endpoint: config.S3_ENDPOINT, accessKey: config.S3_ACCESS_KEY, secretKey: config.S3_SECRET_KEY, region: config.S3_REGION, bucket: config.S3_BUCKET
})
const { topics } = namesFor(config.FACEBLUR_NAMESPACE)
await provision(bus, store, topics, config)
const view = new TaskView(config.FACEBLUR_RESULT_TTL_HOURS * 3600_000)
const feed = await startStatusFeed(bus, topics, view, logger)
const sweeper = setInterval(() => view.sweep(), 60_000).unref()

const app = await buildApp({ config, bus, store, view, topics, logger })
await app.listen({ port: config.PORT, host: config.HOST })

onShutdown(logger, async () => {
  clearInterval(sweeper)
  await app.close() // stops accepting, lets in-flight uploads finish
  await feed.stop()
  await bus.close() // flushes the producer
})
