// The one file that imports kafkajs: a small adapter, so a move to another client stays local.
import kafkajs, { Kafka, Partitioners, logLevel, type Consumer, type Producer, type IHeaders } from 'kafkajs'
import type { Logger } from 'pino'
import type { FaceBlurError } from '@faceblur/contracts'
import { translateBusError } from './bus-errors.js'
import { coalescing } from './coalesce.js'
import { answerWithin, backoffMs } from './retry.js'

// Not a named export Node can see in the CommonJS module.
const { ConfigResourceTypes } = kafkajs

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
  /** Null is a tombstone: on a compacted topic, the key and its earlier messages go. */
  value: Buffer | null
  headers?: Record<string, string>
}

export interface ConsumeOptions {
  groupId: string
  topics: string[]
  /** Only for a new group: start at the earliest offset instead of the latest. */
  fromBeginning?: boolean
  /**
   * Called once per message, in order within a partition. The offset is committed only after it
   * resolves (at-least-once). Throwing means "try again later": the consumer restarts and the
   * message is redelivered. `heartbeat` keeps the group membership during long work.
   */
  handle: (message: BusMessage, ctx: { heartbeat: () => Promise<void> }) => Promise<void>
  partitionsConcurrently?: number
  /**
   * When offsets are committed. `each` (the default): after every message. `periodically`: every
   * few seconds, so a reader of a long topic goes several times faster and, rejoining after a
   * broker hiccup, resumes near where it was (replaying a few seconds). `never`: a reader that
   * keeps no position at all.
   */
  commit?: 'each' | 'periodically' | 'never'
  /** The group's session: a member silent this long is dropped (kafkajs' default: 30 s). */
  sessionTimeoutMs?: number
  /** How long a rebalance waits for members to rejoin. */
  rebalanceTimeoutMs?: number
  heartbeatIntervalMs?: number
}

/** Whether a consumer is really consuming, for `/ready` and `/metrics`. */
export interface ConsumerHealth {
  /** Joined its group, and fetched or heartbeated within `staleMs`. */
  running: boolean
  /** When it last fetched, heartbeated or committed (epoch ms; at first, when it was started). */
  lastActiveAt: number
  /** Consumer restarts after a crash (by kafkajs itself or by the supervisor). */
  restarts: number
  /** Group joins: the first one and one per rebalance. */
  rebalances: number
  lastError?: string
}

export interface Subscription {
  stop: () => Promise<void>
  health: () => ConsumerHealth
}

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
  /** Removes a group (with no members left) and its offsets: for a group only one process ever used. */
  deleteGroup: (groupId: string) => Promise<void>
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
  const admin = kafka.admin()
  let producer: Promise<Producer> | undefined
  const consumers = new Set<Consumer>()

  // Connect once, on first use; concurrent first publishes all wait for the same connection. A
  // failed connect is forgotten, so the next publish tries again instead of failing for ever.
  function connectedProducer (): Promise<Producer> {
    if (producer !== undefined) return producer
    const connecting = (async () => {
      // Not idempotent: kafkajs's idempotent producer loses acknowledged messages when one request
      // spans partitions and only some of them fail (it rewinds the sequence numbers of those that
      // were written too, so the broker drops the next batch as a duplicate; cf. tulios/kafkajs#1005).
      // Seen after every broker restart. A retry may duplicate an event instead, which every consumer
      // already tolerates (at-least-once). One request in flight keeps each partition in order.
      const p = kafka.producer({ idempotent: false, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
      await p.connect()
      return p
    })()
    producer = connecting
    connecting.catch(() => { if (producer === connecting) producer = undefined })
    return connecting
  }

  let adminConnected: Promise<void> | undefined
  const connectedAdmin = async (): Promise<typeof admin> => {
    const connecting = adminConnected ??= admin.connect()
    try {
      await connecting
    } catch (err) {
      if (adminConnected === connecting) adminConnected = undefined // try again next time
      throw translateBusError(err)
    }
    return admin
  }

  // Concurrent publishes (several tasks finishing at once) share one produce request.
  const send = coalescing<OutgoingMessage>(async (messages) => {
    const byTopic = new Map<string, Array<Omit<OutgoingMessage, 'topic'>>>()
    for (const m of messages) {
      const list = byTopic.get(m.topic) ?? []
      list.push({ key: m.key, value: m.value, ...(m.headers === undefined ? {} : { headers: m.headers }) })
      byTopic.set(m.topic, list)
    }
    try {
      const p = await connectedProducer()
      await p.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) })
    } catch (err) {
      throw translateBusError(err)
    }
  }, (err) => (err as FaceBlurError).code === 'FB_ERR_BUS_REFUSED')

  return {
    async publish (messages) {
      if (messages.length > 0) await send(messages)
    },

    async consume (options) {
      return await superviseConsumer(kafka, log, options, consumers)
    },

    async ensureTopics (specs) {
      const a = await connectedAdmin()
      const existing = new Set(await a.listTopics())
      const missing = specs.filter((s) => !existing.has(s.topic))
      // A topic made by an older version gets today's settings too (the whole set: ours to own).
      const configured = specs.filter((s) => existing.has(s.topic) && s.config !== undefined)
      if (configured.length > 0) {
        await a.alterConfigs({
          validateOnly: false,
          resources: configured.map((s) => ({
            type: ConfigResourceTypes.TOPIC,
            name: s.topic,
            configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value }))
          }))
        })
      }
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
      // Bounded: with the broker away kafkajs retries for a minute, and a probe must answer now.
      return await answerWithin(READY_TIMEOUT_MS, (async () => {
        const a = await connectedAdmin()
        const existing = new Set(await a.listTopics())
        return topics.every((t) => existing.has(t))
      })(), false)
    },

    async deleteGroup (groupId) {
      const a = await connectedAdmin()
      try {
        await a.deleteGroups([groupId])
      } catch (err) {
        throw translateBusError(err)
      }
    },

    async close () {
      await Promise.allSettled([...consumers].map((c) => c.disconnect()))
      if (producer !== undefined) await producer.then(async (p) => { await p.disconnect() }, () => {})
      if (adminConnected !== undefined) await admin.disconnect()
    }
  }
}

function headersToStrings (headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v)
  return out
}

/** How long a readiness check waits for the broker. */
const READY_TIMEOUT_MS = 2000

/** A consumer counts as not running (for /ready) when it has neither fetched nor heartbeated for this long. */
const STALE_MS = 12_000
/** ... and is replaced by a new one after this long. */
const STALL_MS = 30_000

/**
 * Runs one consumer and keeps it running: kafkajs restarts a consumer itself after some crashes
 * but not after others (a commit refused because the member was dropped, a broker gone too long);
 * those are restarted here with backoff, for as long as the subscription lives. Resolves once the
 * group has assigned partitions the first time.
 */
async function superviseConsumer (kafka: Kafka, log: Logger, options: ConsumeOptions, consumers: Set<Consumer>): Promise<Subscription> {
  const { groupId, topics, fromBeginning = false, handle, partitionsConcurrently = 1, commit = 'each' } = options
  const state = { joined: false, lastActiveAt: Date.now(), restarts: 0, rebalances: 0, lastError: undefined as string | undefined }
  let current: Consumer | undefined
  let stopped = false
  let failures = 0
  let relaunch: NodeJS.Timeout | undefined
  /** A relaunch is scheduled or connecting: the watchdog waits for it. */
  let relaunching = false
  let firstJoin: () => void = () => {}
  const joinedOnce = new Promise<void>((resolve) => { firstJoin = resolve })
  const alive = (): void => { state.lastActiveAt = Date.now() }

  async function launch (): Promise<void> {
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
      // Bounded: an error that outlasts these retries crashes the consumer, which is then restarted
      // (by kafkajs or below) and shows in /ready and the restart count instead of looping unseen.
      retry: { retries: 8, initialRetryTime: 500, maxRetryTime: 10_000 }
    })
    current = consumer
    consumers.add(consumer)
    const { GROUP_JOIN, FETCH, HEARTBEAT, COMMIT_OFFSETS, CRASH, REBALANCING } = consumer.events
    consumer.on(GROUP_JOIN, () => { state.joined = true; state.rebalances++; failures = 0; alive(); firstJoin() })
    consumer.on(FETCH, alive)
    consumer.on(HEARTBEAT, alive)
    consumer.on(COMMIT_OFFSETS, alive)
    consumer.on(REBALANCING, () => { state.joined = false })
    consumer.on(CRASH, ({ payload }) => {
      state.joined = false
      state.lastError = payload.error.message
      if (stopped) return
      state.restarts++
      if (payload.restart) {
        log.warn({ groupId, err: payload.error }, 'consumer crashed; kafkajs restarts it')
        return
      }
      // kafkajs has disconnected it and will not come back: a new consumer takes its place.
      consumers.delete(consumer)
      scheduleRelaunch(payload.error)
    })
    await consumer.connect()
    // Stopped while this (re)launch was connecting: leave nothing running behind the subscription.
    if (stopped) return await consumer.disconnect()
    await consumer.subscribe({ topics, fromBeginning })
    await consumer.run({
      // kafkajs commits what eachMessage has resolved, on this interval.
      ...(commit === 'periodically' ? { autoCommit: true, autoCommitInterval: 5000 } : { autoCommit: false }),
      partitionsConsumedConcurrently: partitionsConcurrently,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        alive()
        await handle({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: headersToStrings(message.headers)
        }, {
          heartbeat: async () => { await heartbeat(); alive() }
        })
        if (commit === 'each') await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }])
      }
    })
  }

  function scheduleRelaunch (cause: unknown): void {
    if (stopped) return
    relaunching = true
    const delay = backoffMs(++failures, { initialDelayMs: 1000, maxDelayMs: 30_000 })
    log.error({ groupId, err: cause, restartInMs: delay }, 'consumer stopped; restarting it')
    relaunch = setTimeout(() => {
      launch().then(() => {
        relaunching = false
        alive() // from now the new consumer has STALL_MS to join and fetch
      }, (err: unknown) => {
        if (current !== undefined) {
          consumers.delete(current)
          current.disconnect().catch(() => {})
        }
        scheduleRelaunch(err)
      })
    }, delay)
  }

  // kafkajs can also stop fetching without a crash (e.g. after a broker restart, tulios/kafkajs#660):
  // a consumer that has neither fetched nor heartbeated for STALL_MS is replaced.
  const watchdog = setInterval(() => {
    if (stopped || relaunching || Date.now() - state.lastActiveAt < STALL_MS) return
    state.joined = false
    state.restarts++
    const stale = current
    if (stale !== undefined) {
      consumers.delete(stale)
      stale.disconnect().catch(() => {}) // not awaited: it may wait for a message in hand
    }
    scheduleRelaunch(new Error(`no fetch or heartbeat for ${Math.round((Date.now() - state.lastActiveAt) / 1000)} s`))
  }, 5000)
  watchdog.unref()

  await launch()
  await joinedOnce
  return {
    health: () => ({
      running: !stopped && state.joined && Date.now() - state.lastActiveAt < STALE_MS,
      lastActiveAt: state.lastActiveAt,
      restarts: state.restarts,
      rebalances: state.rebalances,
      ...(state.lastError === undefined ? {} : { lastError: state.lastError })
    }),
    stop: async () => {
      stopped = true
      clearTimeout(relaunch)
      clearInterval(watchdog)
      if (current === undefined) return
      consumers.delete(current)
      await current.disconnect() // waits for the message in hand, then leaves the group
    }
  }
}
