import type { Topics } from '@faceblur/contracts'
import type { Bus, TopicSpec } from './bus.js'
import type { ObjectStore } from './object-store.js'

/** Every topic of the pipeline, created by the project rather than left to auto-creation. */
export function pipelineTopics (topics: Topics, partitions: number, statusRetentionMs: number): TopicSpec[] {
  return [
    { topic: topics.submitted, partitions },
    { topic: topics.facesDetected, partitions },
    {
      topic: topics.status,
      partitions,
      // The status topic is the task view's source of truth: it is kept as long as results are.
      config: { 'retention.ms': String(statusRetentionMs) }
    },
    { topic: topics.deadLetter, partitions: 1 }
  ]
}

/**
 * Idempotent: safe for every service to run at start-up, concurrently. Retried a few times, so
 * a broker or store still starting (or two services racing to create the same thing) does not
 * stop a service at boot.
 */
export async function provision (bus: Bus, store: ObjectStore, topics: Topics, config: { FACEBLUR_TOPIC_PARTITIONS: number, FACEBLUR_RESULT_TTL_HOURS: number }, attempts = 5): Promise<void> {
  const retentionMs = Math.round(config.FACEBLUR_RESULT_TTL_HOURS * 3600_000)
  for (let attempt = 1; ; attempt++) {
    try {
      await Promise.all([
        bus.ensureTopics(pipelineTopics(topics, config.FACEBLUR_TOPIC_PARTITIONS, retentionMs)),
        (async () => {
          await store.ensureBucket()
          // Results, and originals a failed task left behind, go when the task view forgets
          // them (the store counts in whole days).
          await store.expire(['results/', 'uploads/'], Math.max(1, Math.ceil(config.FACEBLUR_RESULT_TTL_HOURS / 24)))
        })()
      ])
      return
    } catch (err) {
      if (attempt >= attempts) throw err
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt))
    }
  }
}
