// The one file that imports kafkajs: a small adapter, so a move to another client stays local.
import { Kafka, Partitioners, logLevel, type Consumer, type Producer, type IHeaders } from 'kafkajs'
import type { Logger } from 'pino'

export interface BusMessage {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
  headers: Record<string, string>
}

export interface OutgoingMessage {
  topic: string
  key: string
  value: Buffer
}

export interface ConsumeOptions {
  groupId: string
  topics: string[]
  /** Only for a new group: start at the earliest offset instead of the latest. */
  fromBeginning?: boolean
  /**
   * Called once per message, in order within a partition. The offset is committed only after it
   * resolves (at-least-once). Throwing means "try again later": the message is redelivered.
   */
  handle: (message: BusMessage) => Promise<void>
  partitionsConcurrently?: number
  /**
   * False for a reader that keeps no position (a view rebuilt from the start on every run): its
   * offsets are never committed, which makes reading a long topic several times faster.
   */
  commit?: boolean
}

export interface Subscription { stop: () => Promise<void> }

export interface TopicSpec { topic: string, partitions: number, config?: Record<string, string> }

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
  close: () => Promise<void>
}

/**
 * Retries an admin call on Kafka's retriable errors: right after a topic is created its
 * partitions may not have a leader yet, which kafkajs's admin reports instead of waiting.
 */
async function retrying<T> (call: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (attempt >= attempts || (err as { retriable?: boolean }).retriable !== true) throw err
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt))
    }
  }
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug'
}

export function createBus ({ brokers, clientId, logger }: { brokers: string[], clientId: string, logger: Logger }): Bus {
  const log = logger.child({ component: 'kafka' })
  const kafka = new Kafka({
    clientId,
    brokers,
    retry: { initialRetryTime: 300, retries: 10 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log: entry }) => {
      const { message, ...rest } = entry
      log[LEVELS[level] ?? 'info']({ ...rest, namespace: entry.namespace }, message)
    }
  })
  const admin = kafka.admin()
  let producer: Promise<Producer> | undefined
  const consumers = new Set<Consumer>()

  // Connect once, on first use; concurrent first publishes all wait for the same connection.
  async function connectedProducer (): Promise<Producer> {
    producer ??= (async () => {
      // Idempotent: a retried send after a broker hiccup does not duplicate the message.
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
      await p.connect()
      return p
    })()
    return await producer
  }

  let adminConnected: Promise<void> | undefined
  const connectedAdmin = async (): Promise<typeof admin> => {
    adminConnected ??= admin.connect()
    await adminConnected
    return admin
  }

  return {
    async publish (messages) {
      const p = await connectedProducer()
      const byTopic = new Map<string, Array<{ key: string, value: Buffer }>>()
      for (const m of messages) {
        const list = byTopic.get(m.topic) ?? []
        list.push({ key: m.key, value: m.value })
        byTopic.set(m.topic, list)
      }
      await p.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) })
    },

    async consume ({ groupId, topics, fromBeginning = false, handle, partitionsConcurrently = 1, commit = true }) {
      // A 10 s session (kafkajs: 30 s): a crashed stage's partitions move to its peers sooner.
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000, retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 500, maxRetryTime: 10_000 } })
      consumers.add(consumer)
      await consumer.connect()
      await consumer.subscribe({ topics, fromBeginning })
      // Resolve only once the group has assigned partitions, so "consuming" in a log is true.
      const joined = new Promise<void>((resolve) => {
        const off = consumer.on(consumer.events.GROUP_JOIN, () => { off(); resolve() })
      })
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: partitionsConcurrently,
        eachMessage: async ({ topic, partition, message }) => {
          await handle({
            topic,
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            value: message.value,
            headers: headersToStrings(message.headers)
          })
          if (commit) await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }])
        }
      })
      await joined
      return {
        stop: async () => {
          consumers.delete(consumer)
          await consumer.disconnect() // waits for the message in hand, then leaves the group
        }
      }
    },

    async ensureTopics (specs) {
      const a = await connectedAdmin()
      const existing = new Set(await a.listTopics())
      const missing = specs.filter((s) => !existing.has(s.topic))
      if (missing.length === 0) return
      try {
        await a.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions,
            replicationFactor: -1, // the broker's default
            configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value }))
          }))
        })
      } catch (err) {
        // Several services provision at once; losing that race is fine.
        if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err
      }
    },

    async offsets (topic) {
      const a = await connectedAdmin()
      return (await retrying(async () => await a.fetchTopicOffsets(topic))).map((p) => ({ partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) }))
    },

    async lag (groupId, topic) {
      const a = await connectedAdmin()
      const [ends, committed] = await retrying(async () => await Promise.all([a.fetchTopicOffsets(topic), a.fetchOffsets({ groupId, topics: [topic] })]))
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]))
      let lag = 0n
      for (const p of ends) {
        const at = done.get(p.partition) ?? -1n
        lag += BigInt(p.high) - (at < 0n ? BigInt(p.low) : at) // -1: nothing committed, all retained messages wait
      }
      return Number(lag)
    },

    async ready (topics) {
      try {
        const a = await connectedAdmin()
        const existing = new Set(await a.listTopics())
        return topics.every((t) => existing.has(t))
      } catch {
        return false
      }
    },

    async close () {
      await Promise.allSettled([...consumers].map((c) => c.disconnect()))
      if (producer !== undefined) await (await producer).disconnect()
      if (adminConnected !== undefined) await admin.disconnect()
    }
  }
}

function headersToStrings (headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v)
  return out
}
