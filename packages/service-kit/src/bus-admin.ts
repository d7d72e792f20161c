// The admin side of the Kafka adapter: topics, offsets, a group's lag, readiness, group removal.
import kafkajs, { type Admin, type Kafka } from 'kafkajs'
import { translateBusError } from './bus-errors.js'
import { answerWithin, withRetries } from './retry.js'

// Not a named export Node can see in the CommonJS module.
const { ConfigResourceTypes } = kafkajs

/** `replicationFactor`: replicas of each partition; the broker's `default.replication.factor` when absent. */
export interface TopicSpec { topic: string, partitions: number, replicationFactor?: number, config?: Record<string, string> }

export type PartitionOffsets = Array<{ partition: number, low: bigint, high: bigint }>

/** The admin calls of the bus (documented on `Bus`), over one admin client connected on first use. */
export interface BusAdmin {
  ensureTopics: (topics: TopicSpec[]) => Promise<void>
  offsets: (topic: string) => Promise<PartitionOffsets>
  lag: (groupId: string, topic: string) => Promise<number>
  ready: (topics: string[]) => Promise<boolean>
  deleteGroup: (groupId: string) => Promise<void>
  close: () => Promise<void>
}

/** How long a readiness check waits for the broker. */
const READY_TIMEOUT_MS = 2000

export function createBusAdmin (kafka: Kafka): BusAdmin {
  const admin = kafka.admin()
  let adminConnected: Promise<void> | undefined
  const connectedAdmin = async (): Promise<Admin> => {
    const connecting = adminConnected ??= admin.connect()
    try {
      await connecting
    } catch (err) {
      if (adminConnected === connecting) adminConnected = undefined // try again next time
      throw translateBusError(err)
    }
    return admin
  }

  return {
    ensureTopics: async (specs) => { await ensureTopics(await connectedAdmin(), specs) },
    offsets: async (topic) => await offsets(await connectedAdmin(), topic),
    lag: async (groupId, topic) => await lag(await connectedAdmin(), groupId, topic),
    // Bounded: with the broker away kafkajs retries for a minute, and a probe must answer now.
    ready: async (topics) => await answerWithin(READY_TIMEOUT_MS, connectedAdmin().then(async (a) => await topicsExist(a, topics)), false),
    deleteGroup: async (groupId) => { await deleteGroup(await connectedAdmin(), groupId) },
    async close () {
      if (adminConnected !== undefined) await admin.disconnect()
    }
  }
}

async function ensureTopics (a: Admin, specs: TopicSpec[]): Promise<void> {
  const existing = new Set(await a.listTopics())
  const missing = specs.filter((s) => !existing.has(s.topic))
  // A topic made by an older version gets today's settings too (the whole set: ours to own).
  const configured = specs.filter((s) => existing.has(s.topic) && s.config !== undefined)
  if (configured.length > 0) {
    await a.alterConfigs({
      validateOnly: false,
      resources: configured.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.topic, configEntries: configEntries(s) }))
    })
  }
  if (missing.length === 0) return
  try {
    await a.createTopics({
      waitForLeaders: false, // kafkajs's wait gives up on UNKNOWN_TOPIC_OR_PARTITION: see leadersElected
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor ?? -1, // -1: the broker's default
        configEntries: configEntries(s)
      }))
    })
  } catch (err) {
    // Several services provision at once; losing that race is fine.
    if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err
  }
  await withRetries(async () => { await leadersElected(a, missing.map((s) => s.topic)) }, NEW_TOPIC_WAIT)
}

/**
 * How long a new topic may take to have a leader for every partition. A topic just created is
 * unknown to the broker answering metadata for a moment (seconds on a cold KRaft broker), which
 * kafkajs's own wait does not retry: it threw UNKNOWN_TOPIC_OR_PARTITION into a caller in a cold run.
 */
const NEW_TOPIC_WAIT = { maxMs: 30_000, initialDelayMs: 100, maxDelayMs: 1000 }

/** Resolves once every partition of `topics` has a leader; else throws a retriable error. */
async function leadersElected (a: Admin, topics: string[]): Promise<void> {
  const metadata = await a.fetchTopicMetadata({ topics }) // an unknown topic throws, retriable
  const leaderless = metadata.topics.flatMap((t) => t.partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0).map((p) => `${t.name}[${p.partitionId}]`))
  if (leaderless.length > 0) throw Object.assign(new Error(`no leader yet for ${leaderless.join(', ')}`), { retriable: true })
}

const configEntries = (spec: TopicSpec): Array<{ name: string, value: string }> =>
  Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value }))

async function offsets (a: Admin, topic: string): Promise<PartitionOffsets> {
  return (await retrying(async () => await a.fetchTopicOffsets(topic))).map((p) => ({ partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) }))
}

async function lag (a: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await retrying(async () => await Promise.all([a.fetchTopicOffsets(topic), a.fetchOffsets({ groupId, topics: [topic] })]))
  const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]))
  let lag = 0n
  for (const p of ends) {
    const at = done.get(p.partition) ?? -1n
    lag += BigInt(p.high) - (at < 0n ? BigInt(p.low) : at) // -1: nothing committed, all retained messages wait
  }
  return Number(lag)
}

async function topicsExist (a: Admin, topics: string[]): Promise<boolean> {
  const existing = new Set(await a.listTopics())
  return topics.every((t) => existing.has(t))
}

async function deleteGroup (a: Admin, groupId: string): Promise<void> {
  try {
    await a.deleteGroups([groupId])
  } catch (err) {
    throw translateBusError(err)
  }
}

/**
 * Retries an admin call on Kafka's retriable errors: right after a topic is created its
 * partitions may not have a leader yet, which kafkajs's admin reports instead of waiting.
 */
async function retrying<T> (call: () => Promise<T>): Promise<T> {
  return await withRetries(call, { maxMs: 7000, initialDelayMs: 250, maxDelayMs: 2000 })
}
