// The Kafka adapter: the bus-*.ts files are the only ones that import kafkajs, so a move to another
// client stays local. This one holds the `Bus` the services see and builds it from the producer
// (`bus-producer.ts`), the supervised consumers (`bus-supervisor.ts`, `bus-consumer.ts`) and the
// admin calls (`bus-admin.ts`).
import { Kafka, logLevel, type Consumer } from 'kafkajs'
import type { Logger } from 'pino'
import { createBusAdmin, type TopicSpec } from './bus-admin.js'
import type { ConsumeOptions } from './bus-consumer.js'
import { createPublisher, type OutgoingMessage } from './bus-producer.js'
import { superviseConsumer, type Subscription } from './bus-supervisor.js'

export type { TopicSpec } from './bus-admin.js'
export type { BusMessage, ConsumeOptions } from './bus-consumer.js'
export type { OutgoingMessage } from './bus-producer.js'
export type { ConsumerHealth, Subscription } from './bus-supervisor.js'

export interface Bus {
  publish: (messages: OutgoingMessage[]) => Promise<void>
  consume: (options: ConsumeOptions) => Promise<Subscription>
  ensureTopics: (topics: TopicSpec[]) => Promise<void>
  /** Each partition's first and next offset now (what a reader from the start must reach). */
  offsets: (topic: string) => Promise<Array<{ partition: number, low: bigint, high: bigint }>>
  /** Messages of `topic` that `groupId` has not committed yet, summed over partitions. */
  lag: (groupId: string, topic: string) => Promise<number>
  /** True when the brokers answer and every named topic exists. */
  ready: (topics: string[]) => Promise<boolean>
  /** Removes a group (with no members left) and its offsets: for a group only one process ever used. */
  deleteGroup: (groupId: string) => Promise<void>
  close: () => Promise<void>
}

// kafkajs logs every failed request it is about to retry at ERROR (a cold broker's "coordinator is
// loading" at each start, a restarting broker's connection errors): warnings here. What it gives up
// on reaches the caller, and the services log that themselves (a consumer replaced: error).
const LEVELS: Record<number, 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'warn', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug'
}

/**
 * `retries`: how often the client retries a request before it fails (kafkajs backs off up to 30 s
 * between tries): a stage can wait; the gateway answers its client 503 sooner with fewer.
 */
export function createBus ({ brokers, clientId, logger, retries = 10 }: { brokers: string[], clientId: string, logger: Logger, retries?: number }): Bus {
  const log = logger.child({ component: 'kafka' })
  const kafka = new Kafka({
    clientId,
    brokers,
    retry: { initialRetryTime: 300, retries },
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log: entry }) => {
      const { message, ...rest } = entry
      log[LEVELS[level] ?? 'info']({ ...rest, namespace: entry.namespace }, message)
    }
  })
  const publisher = createPublisher(kafka)
  const admin = createBusAdmin(kafka)
  const consumers = new Set<Consumer>()

  return {
    publish: publisher.publish,
    consume: async (options) => await superviseConsumer(kafka, log, options, consumers),
    ensureTopics: admin.ensureTopics,
    offsets: admin.offsets,
    lag: admin.lag,
    ready: admin.ready,
    deleteGroup: admin.deleteGroup,
    async close () {
      await Promise.allSettled([...consumers].map((c) => c.disconnect()))
      await publisher.close()
      await admin.close()
    }
  }
}
