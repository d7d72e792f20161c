// A stand-in for the pipeline's stages, for the submit tests, over the real Kafka and MinIO (`npm
// test` starts them; SharedEnv's defaults point at 127.0.0.1:9092 and :9000), in a Kafka namespace of
// its own: a consumer of the namespace's `submitted` topic reads each image back from MinIO and
// publishes real status events (and, for a blur, puts a real result object), as the detector and
// blurrer would. It answers only the tasks a test asked it to (each run's task ids are registered
// through `newTaskId`). Another consumer reads the status topic back, so tests can check what was
// produced and how often.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { pino } from 'pino'
import {
  codecs, FaceBlurError, isTerminal, namesFor, resultKey, uploadKey, type TaskStatusV1, type TaskSubmittedV1
} from '@faceblur/contracts'
import {
  busFromConfig, loadEnvConfig, pipelineTopics, removeOriginal, SharedEnv, storeFromConfig,
  type Bus, type BusMessage, type ObjectStore, type Subscription
} from '@faceblur/service-kit'
import type { SubmitDeps } from '../../src/submit.js'

const MODEL = { name: 'yolov8n-face', sha256: '0'.repeat(64), provider: 'cpu' }

const config = loadEnvConfig(SharedEnv, process.env)
const namespace = `cli-unit-${randomUUID().slice(0, 8)}.`
const { topics } = namesFor(namespace)
const logger = pino({ level: 'error' })
const connectBus = (role: string): Bus => busFromConfig(config, `cli-test-${role}`, logger)
const connectStore = (): ObjectStore => storeFromConfig(config)

// What the CLI under test uses, and what the stage (another process in real life) uses.
const bus = connectBus('cli')
export const store = connectStore()
const stageBus = connectBus('stage')
const stageStore = connectStore()

// --- the stage and the status reader ----------------------------------------------------------
interface Plan {
  /** Answer the task (STARTED, then SUCCESS or FAILURE); otherwise it waits on the topic forever. */
  answer: boolean
  /** Fail the task when its uploaded bytes contain this. */
  failIf?: string
}
const plans = new Map<string, Plan>()
/** Every task id the CLI took in this file: their objects are removed at the end. */
const allTaskIds: string[] = []
/** What was read back from the topics, by task id. */
export const submittedSeen = new Map<string, BusMessage[]>()
const statusSeen = new Map<string, TaskStatusV1[]>()
/** Next offset each reader is at, by `topic:partition`. */
const readUpTo = new Map<string, bigint>()
/** Anything the stage or the reader could not do (asserted empty by every test). */
const readerErrors: string[] = []
const subscriptions: Subscription[] = []

const push = <T>(map: Map<string, T[]>, key: string, value: T): void => { map.set(key, [...(map.get(key) ?? []), value]) }
const advanceReader = (m: BusMessage): void => { readUpTo.set(`${m.topic}:${m.partition}`, BigInt(m.offset) + 1n) }

async function answer (e: TaskSubmittedV1, plan: Plan): Promise<void> {
  const at = (): string => new Date().toISOString()
  // The image really is in MinIO, with the size the event says. When it is not, the task fails
  // as the detector would fail it (and the test, which never expects that, fails too).
  let image: Buffer
  try {
    image = await stageStore.get(e.source.key)
  } catch (err) {
    readerErrors.push(`${e.task_id}: ${(err as Error).message}`)
    const failure: TaskStatusV1 = { task_id: e.task_id, kind: e.kind, status: 'FAILURE', stage: 'detector', at: at(), error: { code: 'FB_ERR_SOURCE_MISSING', message: (err as Error).message } }
    await stageBus.publish([{ topic: topics.status, key: e.task_id, value: codecs.taskStatus.encode(failure) }])
    return
  }
  if (image.length !== e.source.bytes) readerErrors.push(`${e.task_id}: ${image.length} bytes in the store, ${e.source.bytes} in the event`)
  const stage = e.kind === 'detect' ? 'detector' : 'blurrer'
  // As the detector does for a task no gateway announced: PENDING, then STARTED, then the end.
  const statuses: TaskStatusV1[] = [
    { task_id: e.task_id, kind: e.kind, status: 'PENDING', stage: 'detector', at: at() },
    { task_id: e.task_id, kind: e.kind, status: 'STARTED', stage: 'detector', at: at() }
  ]
  if (plan.failIf !== undefined && image.includes(plan.failIf)) {
    statuses.push({ task_id: e.task_id, kind: e.kind, status: 'FAILURE', stage: 'detector', at: at(), error: { code: 'FB_ERR_IMAGE_UNDECODABLE', message: 'truncated' } })
  } else if (e.kind === 'detect') {
    statuses.push({ task_id: e.task_id, kind: 'detect', status: 'SUCCESS', stage, at: at(), result: { kind: 'detect', image: { width: 8, height: 8 }, faces: [{ box: [1, 2, 3, 4], score: 0.9 }], model: MODEL } })
  } else {
    const key = resultKey(e.task_id)
    const blurred = Buffer.concat([Buffer.from('blurred:'), image])
    await stageStore.put(key, blurred, e.source.content_type)
    statuses.push({ task_id: e.task_id, kind: 'blur', status: 'SUCCESS', stage, at: at(), result: { kind: 'blur', object: { bucket: stageStore.bucket, key, content_type: e.source.content_type, bytes: blurred.length }, faces: [], model: MODEL } })
  }
  await stageBus.publish(statuses.map((s) => ({ topic: topics.status, key: s.task_id, value: codecs.taskStatus.encode(s) })))
}

async function startReaders (): Promise<void> {
  subscriptions.push(await stageBus.consume({
    groupId: `${namespace}test-stage`,
    topics: [topics.submitted],
    fromBeginning: true,
    partitionsConcurrently: 3,
    handle: async (m) => {
      try {
        const parsed = codecs.taskSubmitted.parse(m.value)
        if (!parsed.ok) { readerErrors.push(`invalid submitted event at ${m.partition}/${m.offset}: ${parsed.reason}`); return }
        push(submittedSeen, parsed.value.task_id, m)
        const plan = plans.get(parsed.value.task_id)
        if (plan === undefined) readerErrors.push(`submitted: ${parsed.value.task_id} is no task id the CLI was given`)
        else if (plan.answer) await answer(parsed.value, plan)
      } catch (err) {
        readerErrors.push(`stage: ${(err as Error).message}`)
      } finally {
        advanceReader(m)
      }
    }
  }))
  subscriptions.push(await stageBus.consume({
    groupId: `${namespace}test-status-reader`,
    topics: [topics.status],
    fromBeginning: true,
    partitionsConcurrently: 3,
    handle: async (m) => {
      const parsed = codecs.taskStatus.parse(m.value)
      if (!parsed.ok) readerErrors.push(`invalid status event at ${m.partition}/${m.offset}: ${parsed.reason}`)
      else if (!plans.has(parsed.value.task_id)) readerErrors.push(`status: ${parsed.value.task_id} is no task id the CLI was given`)
      else push(statusSeen, parsed.value.task_id, parsed.value)
      advanceReader(m)
    }
  }))
}

/** Resolves once both readers have read everything the two topics hold now. */
export async function caughtUp (): Promise<void> {
  const ends = await Promise.all([topics.submitted, topics.status].map(async (topic) => ({ topic, parts: await bus.offsets(topic) })))
  const deadline = Date.now() + 15_000
  for (;;) {
    const behind = ends.some(({ topic, parts }) => parts.some((p) => p.high > p.low && (readUpTo.get(`${topic}:${p.partition}`) ?? 0n) < p.high))
    if (!behind) return
    if (Date.now() > deadline) throw new Error('the test readers did not catch up with the topics within 15 s')
    await sleep(25)
  }
}

/**
 * The events on the two topics for these tasks, once the readers have read all the topics hold.
 * Tests run in parallel in this namespace, so "nothing produced" is judged by task: a run can only
 * produce under an id it was given (any other id is a reader error), and a re-run that was given
 * none must leave the earlier tasks' counts as they were.
 */
export async function eventsFor (ids: string[]): Promise<{ submitted: number, status: number }> {
  await caughtUp()
  return {
    submitted: ids.reduce((n, id) => n + (submittedSeen.get(id)?.length ?? 0), 0),
    status: ids.reduce((n, id) => n + (statusSeen.get(id)?.length ?? 0), 0)
  }
}

/** Resolves once every task has a terminal status on the topic. */
export async function finished (ids: string[]): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!ids.every((id) => (statusSeen.get(id) ?? []).some((s) => isTerminal(s.status)))) {
    if (Date.now() > deadline) throw new Error('the stage did not finish the tasks within 15 s')
    await sleep(25)
  }
}

/** One run's task ids, and how the stage is to answer them. */
export function plan (p: Plan = { answer: false }): { ids: string[], newTaskId: () => string } {
  const ids: string[] = []
  return {
    ids,
    newTaskId: () => {
      const id = randomUUID()
      plans.set(id, p) // before the CLI produces anything for it
      ids.push(id)
      allTaskIds.push(id)
      return id
    }
  }
}

export const deps = (run: { newTaskId: () => string }, over: Partial<SubmitDeps> = {}): SubmitDeps => ({
  bus,
  store,
  topics,
  groupId: `${namespace}faceblur-cli-${randomUUID()}`, // as main.ts: a group of its own per run
  progress: { write: () => true },
  newTaskId: run.newTaskId,
  ...over
})

/** The real store, counting the puts in flight, and failing the nth put (as MinIO going away would). */
export function instrumented (inner: ObjectStore, failAt?: number): { store: SubmitDeps['store'], puts: number, maxConcurrent: number } {
  let active = 0
  const counts = {
    puts: 0,
    maxConcurrent: 0,
    store: {
      bucket: inner.bucket,
      get: async (key: string) => await inner.get(key),
      put: async (key: string, body: Buffer, contentType: string) => {
        counts.puts++
        if (counts.puts === failAt) throw new FaceBlurError('FB_ERR_STORAGE_UNAVAILABLE', 'object store: connect ECONNREFUSED')
        active++
        counts.maxConcurrent = Math.max(counts.maxConcurrent, active)
        try {
          await inner.put(key, body, contentType)
        } finally {
          active--
        }
      }
    }
  }
  return counts
}

// Set up before any test: the namespace's topics (as `provision` makes them, 3 partitions), the
// bucket, and the two readers.
await bus.ensureTopics(pipelineTopics(topics, 3, 3600_000))
await store.ensureBucket()
await startReaders()

/** Stops the readers, deletes what the tests put in the bucket, closes the connections. */
export async function closeStageDouble (): Promise<void> {
    await Promise.allSettled(subscriptions.map(async (s) => await s.stop()))
    // Everything this file put in the bucket: originals and the stage's results.
    for (let i = 0; i < allTaskIds.length; i += 32) {
      await Promise.all(allTaskIds.slice(i, i + 32).flatMap((id) => [removeOriginal(store, uploadKey(id)), removeOriginal(store, resultKey(id))]))
    }
    await Promise.allSettled([bus.close(), stageBus.close()])
}

/** Every test ends with this: once the readers have read everything, they saw nothing wrong. */
export async function readersOk (t: Test): Promise<void> {
  await caughtUp()
  t.same(readerErrors.splice(0), [], 'the stage and the status reader saw nothing wrong (no stray task ids, no invalid events)')
}
