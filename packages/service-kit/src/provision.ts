import type { Topics } from '@faceblur/contracts'
import type { Bus, TopicSpec } from './bus.js'
import type { ObjectStore } from './object-store.js'
import { withRetries } from './retry.js'

/**
 * Every topic of the pipeline, created by the project rather than left to auto-creation, with
 * `replicationFactor` replicas. Above one replica a write must reach min(2, replicas) of them
 * (producers use acks=all): with three, losing one broker loses no acknowledged event and stops
 * no write; losing two stops writes instead of keeping them on a single copy.
 */
export function pipelineTopics (topics: Topics, partitions: number, statusRetentionMs: number, replicationFactor = 1): TopicSpec[] {
  const replicated = replicationFactor > 1 ? { 'min.insync.replicas': String(Math.min(2, replicationFactor)) } : undefined
  const spec = (topic: string, count: number, config?: Record<string, string>): TopicSpec => {
    const merged = config === undefined && replicated === undefined ? undefined : { ...config, ...replicated }
    return { topic, partitions: count, replicationFactor, ...(merged === undefined ? {} : { config: merged }) }
  }
  return [
    spec(topics.submitted, partitions),
    spec(topics.facesDetected, partitions),
    // The task view's source of truth: kept while a task may wait, then as long as its result.
    // Compacted by task id, so a gateway's catch-up reads about one event per live task, not
    // history: the gateways keep each task's last event equal to its state (see status-feed.ts)
    // and write a tombstone when they forget it. Hourly segments let compaction reach them.
    spec(topics.status, partitions, { 'cleanup.policy': 'compact,delete', 'retention.ms': String(statusRetentionMs), 'segment.ms': String(3600_000) }),
    spec(topics.deadLetter, 1),
    spec(topics.videoSegments, partitions),
    spec(topics.videoFaces, partitions),
    spec(topics.videoEncoded, partitions)
  ]
}

/**
 * Idempotent: safe for every service to run at start-up, concurrently. Retried a few times, so
 * a broker or store still starting (or two services racing to create the same thing) does not
 * stop a service at boot.
 */
export interface Lifetimes { FACEBLUR_RESULT_TTL_HOURS: number, FACEBLUR_TASK_MAX_AGE_HOURS: number }

/**
 * How long each thing lives. A task waits at most the maximum age, then is kept the TTL once
 * finished: the status topic keeps both. Results go with the TTL. An upload is deleted when its
 * task ends (or is ended as expired); the lifecycle rule only sweeps what a crash left behind, so
 * it must never fire under a task still queued. The store counts in whole days.
 */
export function lifetimes ({ FACEBLUR_RESULT_TTL_HOURS: ttl, FACEBLUR_TASK_MAX_AGE_HOURS: maxAge }: Lifetimes): {
  statusRetentionMs: number, expiry: Array<{ prefix: string, days: number }>
} {
  const days = (hours: number): number => Math.max(1, Math.ceil(hours / 24))
  return {
    statusRetentionMs: Math.round((ttl + maxAge) * 3600_000),
    // A video's work objects are deleted when it ends; like uploads, the rule only sweeps leftovers.
    expiry: [{ prefix: 'results/', days: days(ttl) }, { prefix: 'uploads/', days: days(maxAge + ttl) }, { prefix: 'work/', days: days(maxAge + ttl) }]
  }
}

export interface TopicLayout { FACEBLUR_TOPIC_PARTITIONS: number, FACEBLUR_KAFKA_REPLICATION_FACTOR: number }

export async function provision (bus: Bus, store: ObjectStore, topics: Topics, config: Lifetimes & TopicLayout): Promise<void> {
  const { statusRetentionMs, expiry } = lifetimes(config)
  // Any failure is retried for up to 30 s: at start-up Kafka or the store may still be coming up, and
  // on a busy broker a topic just created can answer "does not host this topic-partition" for
  // seconds (a 6 s budget let a stage exit at start in CI).
  await withRetries(async () => {
    await Promise.all([
      bus.ensureTopics(pipelineTopics(topics, config.FACEBLUR_TOPIC_PARTITIONS, statusRetentionMs, config.FACEBLUR_KAFKA_REPLICATION_FACTOR)),
      (async () => {
        await store.ensureBucket()
        await store.expire(expiry)
      })()
    ])
  }, { maxMs: 30_000, initialDelayMs: 500, maxDelayMs: 2000 }, { retriable: () => true })
}
