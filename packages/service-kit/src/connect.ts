import type { Logger } from 'pino'
import { createBus, type Bus } from './bus.js'
import type { SharedConfig } from './env-config.js'
import { createObjectStore, type ObjectStore } from './object-store.js'

type Connection = Pick<SharedConfig, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>
type Storage = Pick<SharedConfig, 'S3_ENDPOINT' | 'S3_ACCESS_KEY' | 'S3_SECRET_KEY' | 'S3_REGION' | 'S3_BUCKET'>

/** The Kafka adapter for one role (gateway, detector, …) from the shared settings. */
export const busFromConfig = (config: Connection, role: string, logger: Logger, options: { retries?: number } = {}): Bus =>
  createBus({ brokers: config.KAFKA_BROKERS.split(','), clientId: `${config.KAFKA_CLIENT_ID}-${role}`, logger, ...options })

/** The object store from the shared settings. */
export const storeFromConfig = (config: Storage): ObjectStore => createObjectStore({
  endpoint: config.S3_ENDPOINT, accessKey: config.S3_ACCESS_KEY, secretKey: config.S3_SECRET_KEY, region: config.S3_REGION, bucket: config.S3_BUCKET
})
