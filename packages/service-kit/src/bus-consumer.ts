// One kafkajs consumer of the Kafka adapter: its settings, and each message handed over and committed.
// Keeping it running across crashes and stalls is `bus-supervisor.ts`'s job.
import type { Consumer, IHeaders, Kafka } from 'kafkajs'
import { withRetries, type RetryPolicy } from './retry.js'

export interface BusMessage {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
  headers: Record<string, string>
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

/** How long a rebalance waits for members to rejoin, unless the options say otherwise. */
export const DEFAULT_REBALANCE_TIMEOUT_MS = 60_000

/** How long a consumer waits for its topics to be known to the broker it asks (see `consumeInto`). */
const SUBSCRIBE_RETRY: RetryPolicy = { maxMs: 60_000, initialDelayMs: 300, maxDelayMs: 5_000 }

/** A new, unconnected consumer in `options.groupId`'s group. */
export function newConsumer (kafka: Kafka, options: ConsumeOptions): Consumer {
  return kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    rebalanceTimeout: options.rebalanceTimeoutMs ?? DEFAULT_REBALANCE_TIMEOUT_MS,
    heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
    // Bounded: an error that outlasts these retries crashes the consumer, which is then restarted
    // (by kafkajs or by the supervisor) and shows in /ready and the restart count instead of looping unseen.
    retry: { retries: 8, initialRetryTime: 500, maxRetryTime: 10_000 }
  })
}

/**
 * Subscribes a connected `consumer` to `options.topics` and hands each message to `options.handle`,
 * committing as `options.commit` says; `alive` hears of every message and heartbeat.
 */
export async function consumeInto (consumer: Consumer, options: ConsumeOptions, alive: () => void): Promise<void> {
  const { topics, fromBeginning = false, handle, partitionsConcurrently = 1, commit = 'each' } = options
  // Topics just created may not be known to every broker yet ("does not host this topic-partition",
  // retriable): kafkajs's subscribe does not retry, and a stage starting on a fresh cluster died of it.
  await withRetries(async () => { await consumer.subscribe({ topics, fromBeginning }) }, SUBSCRIBE_RETRY)
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

function headersToStrings (headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v)
  return out
}
