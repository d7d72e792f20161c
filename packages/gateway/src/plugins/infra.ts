import { namesFor, type ConsumerGroups, type Topics } from '@faceblur/contracts'
import { busFromConfig, provision, storeFromConfig, type Bus, type Logger, type ObjectStore } from '@faceblur/service-kit'
import fp from 'fastify-plugin'
import type { GatewayConfig } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    bus: Bus
    store: ObjectStore
    topics: Topics
    groups: ConsumerGroups
  }
}

/** Kafka and MinIO: connected, topics and bucket provisioned at start, closed with the app. */
export const infra = fp<{ config: GatewayConfig, logger: Logger }>(async (app, { config, logger }) => {
  // Few retries: with Kafka down an upload is answered 503 + Retry-After in seconds, not after a minute.
  const bus = busFromConfig(config, 'gateway', logger, { retries: 3 })
  const store = storeFromConfig(config)
  const names = namesFor(config.FACEBLUR_NAMESPACE)
  try {
    await provision(bus, store, names.topics, config)
  } catch (err) {
    await bus.close()
    throw err
  }
  app.decorate('bus', bus)
  app.decorate('store', store)
  app.decorate('topics', names.topics)
  app.decorate('groups', names.groups)
  app.addHook('onClose', async () => { await bus.close() }) // flushes the producer
}, { name: 'infra' })
