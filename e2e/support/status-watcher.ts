// Reads a namespace's status and dead-letter topics the way the gateway does, for tests that
// talk to Kafka directly (as bulk producers do).
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { advance, codecs, namesFor, type DeadLetterV1, type TaskStatusV1 } from '@faceblur/contracts'
import { type Bus, createBus, loadEnvConfig, type ObjectStore, SharedEnv, storeFromConfig, type Subscription } from '@faceblur/service-kit'
import { pino } from 'pino'

export interface Pipeline {
  bus: Bus
  store: ObjectStore
  topics: ReturnType<typeof namesFor>['topics']
  statuses: Map<string, TaskStatusV1>
  /** Every status event as read, in order within each task (one partition per task). */
  history: TaskStatusV1[]
  /** Task ids whose key got a tombstone (a null value) on the status topic. */
  tombstones: Set<string>
  deadLetters: DeadLetterV1[]
  /** Task ids seen on the `submitted` topic (what the detector will be given). */
  submitted: Set<string>
  waitFor: (taskIds: string[], done: (s: TaskStatusV1) => boolean, timeoutMs?: number) => Promise<void>
  close: () => Promise<void>
}

export async function connect (namespace: string): Promise<Pipeline> {
  const config = loadEnvConfig(SharedEnv, { ...process.env, FACEBLUR_NAMESPACE: namespace })
  const { topics } = namesFor(namespace)
  // Quiet: the fault suite takes Kafka away on purpose; a watcher that misses events fails its test by the counts.
  const bus = createBus({ brokers: config.KAFKA_BROKERS.split(','), clientId: 'e2e-watcher', logger: pino({ level: 'fatal' }) })
  const store = storeFromConfig(config)
  await store.ensureBucket()
  await bus.ensureTopics([
    { topic: topics.submitted, partitions: 6 }, { topic: topics.facesDetected, partitions: 6 },
    { topic: topics.status, partitions: 6 }, { topic: topics.deadLetter, partitions: 1 }
  ])
  const statuses = new Map<string, TaskStatusV1>()
  const history: TaskStatusV1[] = []
  const tombstones = new Set<string>()
  const deadLetters: DeadLetterV1[] = []
  const submitted = new Set<string>()
  const subscription: Subscription = await bus.consume({
    groupId: `e2e-watcher-${randomUUID()}`,
    topics: [topics.status, topics.deadLetter, topics.submitted],
    fromBeginning: true,
    commit: 'never',
    partitionsConcurrently: 13,
    handle: async (m) => {
      if (m.topic === topics.submitted) {
        const parsed = codecs.taskSubmitted.parse(m.value)
        if (parsed.ok) submitted.add(parsed.value.task_id)
        return
      }
      if (m.topic === topics.deadLetter) {
        const parsed = codecs.deadLetter.parse(m.value)
        if (parsed.ok) deadLetters.push(parsed.value)
        return
      }
      if (m.value === null && m.key !== null) tombstones.add(m.key)
      const parsed = codecs.taskStatus.parse(m.value)
      if (parsed.ok) history.push(parsed.value)
      if (parsed.ok) statuses.set(parsed.value.task_id, advance(statuses.get(parsed.value.task_id), parsed.value))
    }
  })
  return {
    bus,
    store,
    topics,
    statuses,
    history,
    tombstones,
    deadLetters,
    submitted,
    async waitFor (taskIds, done, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        if (taskIds.every((id) => { const s = statuses.get(id); return s !== undefined && done(s) })) return
        await sleep(100)
      }
      const missing = taskIds.filter((id) => { const s = statuses.get(id); return s === undefined || !done(s) })
      throw new Error(`${missing.length} of ${taskIds.length} tasks not done after ${timeoutMs} ms: ${missing.slice(0, 3).map((id) => `${id}=${statuses.get(id)?.status}`).join(', ')}`)
    },
    async close () {
      await subscription.stop()
      await bus.close()
    }
  }
}

/**
 * What a bulk producer does: put the image in the bucket, then produce `submitted`. With
 * `store: false` the image is never put (a producer that forgot it).
 */
export async function submitDirect (p: Pipeline, kind: 'detect' | 'blur' | 'video', image: Buffer, contentType = 'image/jpeg', { store = true } = {}): Promise<string> {
  const taskId = randomUUID()
  const key = `uploads/${taskId}`
  if (store) await p.store.put(key, image, contentType)
  await p.bus.publish([{
    topic: p.topics.submitted,
    key: taskId,
    value: codecs.taskSubmitted.encode({
      task_id: taskId, kind, source: { bucket: p.store.bucket, key, content_type: contentType, bytes: image.length }, submitted_at: new Date().toISOString()
    })
  }])
  return taskId
}
