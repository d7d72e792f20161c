import { TOPICS } from '@faceblur/contracts'
import type { Bus, TopicSpec } from './bus.js'
import type { ObjectStore } from './object-store.js'

/** Every topic of the pipeline, created by the project rather than left to auto-creation. */
export function pipelineTopics (partitions: number, statusRetentionMs?: number): TopicSpec[] {
  return [
    { topic: TOPICS.submitted, partitions },
    { topic: TOPICS.facesDetected, partitions },
    {
      topic: TOPICS.status,
      partitions,
      // The status topic is the task view's source of truth: it is kept as long as results are.
      config: statusRetentionMs === undefined ? {} : { 'retention.ms': String(statusRetentionMs) }
    },
    { topic: TOPICS.deadLetter, partitions: 1 }
  ]
}

/** Idempotent: safe for every service to run at start-up, concurrently. */
export async function provision (bus: Bus, store: ObjectStore, partitions: number): Promise<void> {
  await Promise.all([bus.ensureTopics(pipelineTopics(partitions)), store.ensureBucket()])
}
