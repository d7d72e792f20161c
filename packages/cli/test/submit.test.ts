// The whole submit flow against the real Kafka and MinIO (`npm test` starts them; the defaults of
// SharedEnv point at 127.0.0.1:9092 and :9000), in a Kafka namespace of this file's own, so it
// neither replays nor disturbs any other run.
//
// The test plays the pipeline's stage itself, over the same real servers: a consumer of the
// namespace's `submitted` topic reads each image back from MinIO and publishes real status events
// (and, for a blur, puts a real result object), as the detector and blurrer would. It answers only
// the tasks a test asked it to (each run's task ids are registered through `newTaskId`). Another
// consumer reads the status topic back, so tests can check what was produced and how often.
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { pino } from 'pino'
import {
  codecs, FaceBlurError, isTerminal, namesFor, resultKey, uploadKey, type TaskStatusV1, type TaskSubmittedV1
} from '@faceblur/contracts'
import {
  busFromConfig, loadEnvConfig, pipelineTopics, removeOriginal, SharedEnv, storeFromConfig,
  type Bus, type BusMessage, type ObjectStore, type Subscription
} from '@faceblur/service-kit'
import type { SubmitArgs } from '../src/args.js'
import { loadState, stateKey } from '../src/state-file.js'
import { runSubmit, SubmitError, type SubmitDeps } from '../src/submit.js'

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4])
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.from([0, 0, 0, 13])])
const MODEL = { name: 'yolov8n-face', sha256: '0'.repeat(64), provider: 'cpu' }

const config = loadEnvConfig(SharedEnv, process.env)
const namespace = `cli-unit-${randomUUID().slice(0, 8)}.`
const { topics } = namesFor(namespace)
const logger = pino({ level: 'error' })
const connectBus = (role: string): Bus => busFromConfig(config, `cli-test-${role}`, logger)
const connectStore = (): ObjectStore => storeFromConfig(config)

// What the CLI under test uses, and what the stage (another process in real life) uses.
const bus = connectBus('cli')
const store = connectStore()
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
const submittedSeen = new Map<string, BusMessage[]>()
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
async function caughtUp (): Promise<void> {
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
async function eventsFor (ids: string[]): Promise<{ submitted: number, status: number }> {
  await caughtUp()
  return {
    submitted: ids.reduce((n, id) => n + (submittedSeen.get(id)?.length ?? 0), 0),
    status: ids.reduce((n, id) => n + (statusSeen.get(id)?.length ?? 0), 0)
  }
}

/** Resolves once every task has a terminal status on the topic. */
async function finished (ids: string[]): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!ids.every((id) => (statusSeen.get(id) ?? []).some((s) => isTerminal(s.status)))) {
    if (Date.now() > deadline) throw new Error('the stage did not finish the tasks within 15 s')
    await sleep(25)
  }
}

/** One run's task ids, and how the stage is to answer them. */
function plan (p: Plan = { answer: false }): { ids: string[], newTaskId: () => string } {
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

const deps = (run: { newTaskId: () => string }, over: Partial<SubmitDeps> = {}): SubmitDeps => ({
  bus,
  store,
  topics,
  groupId: `${namespace}faceblur-cli-${randomUUID()}`, // as main.ts: a group of its own per run
  progress: { write: () => true },
  newTaskId: run.newTaskId,
  ...over
})

/** The real store, counting the puts in flight, and failing the nth put (as MinIO going away would). */
function instrumented (inner: ObjectStore, failAt?: number): { store: SubmitDeps['store'], puts: number, maxConcurrent: number } {
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

t.teardown(async () => {
  await Promise.allSettled(subscriptions.map(async (s) => await s.stop()))
  // Everything this file put in the bucket: originals and the stage's results.
  for (let i = 0; i < allTaskIds.length; i += 32) {
    await Promise.all(allTaskIds.slice(i, i + 32).flatMap((id) => [removeOriginal(store, uploadKey(id)), removeOriginal(store, resultKey(id))]))
  }
  await Promise.allSettled([bus.close(), stageBus.close()])
})

// Every --wait run ends by leaving its consumer group, which with the real client takes up to its
// 5 s long poll: the tests run side by side (each with its own task ids and folders) to keep the
// file short.
t.jobs = 8

/** Every test ends with this: once the readers have read everything, they saw nothing wrong. */
async function readersOk (t: Test): Promise<void> {
  await caughtUp()
  t.same(readerErrors.splice(0), [], 'the stage and the status reader saw nothing wrong (no stray task ids, no invalid events)')
}

const FILES: Record<string, string> = {
  'a.jpg': JSON.stringify('a.jpg'),
  'x/b.png': 'x/b.png',
  'x/y/c.jpeg': 'x/y/c.jpeg',
  'x/y/broken.jpg': 'x/y/broken.jpg',
  'x/notes.txt': 'not an image',
  'fake.jpg': 'plain text with an image name',
  'empty.png': ''
}
/** The four files that are sent; the other three are ignored or refused before the pipeline. */
const SENT = ['a.jpg', 'x/b.png', 'x/y/c.jpeg', 'x/y/broken.jpg']
const DETECTION = { face_1: { facial_area: [1, 2, 3, 4] } }

async function tree (): Promise<{ root: string, input: string, out: string }> {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  const input = join(root, 'in')
  for (const [rel, content] of Object.entries(FILES)) {
    await mkdir(join(input, rel, '..'), { recursive: true })
    const magic = rel.endsWith('.png') ? PNG : JPEG
    await writeFile(join(input, rel), content === '' || rel === 'fake.jpg' || rel.endsWith('.txt') ? content : Buffer.concat([magic, Buffer.from(content, 'latin1')]))
  }
  return { root, input, out: join(root, 'out') }
}

const args = (over: Partial<SubmitArgs>): SubmitArgs => ({
  command: 'submit', dir: '.', kind: 'detect', concurrency: 4, wait: false, retryFailed: false, timeoutS: 0, json: false, stats: false, quiet: false, ...over
})

/** A --wait run that should see every task end: give up (and fail the test) long before tap does. */
const WAIT = { wait: true, timeoutS: 15 } as const

const sorted = (a: string[]): string[] => [...a].sort()

t.test('without --wait: uploads and produces each image once, keyed by its task id', async (t) => {
  const { root, input } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const run = plan({ answer: false })
  const s = await runSubmit(args({ dir: input }), deps(run))
  t.equal(s.found, 6, 'six image names')
  t.equal(s.ignored, 1, 'notes.txt')
  t.equal(s.submitted, 4)
  t.equal(s.unfinished, 4)
  t.same(s.failures.map((f) => `${f.path} ${f.code}`).sort(), ['empty.png FB_ERR_UPLOAD_EMPTY', 'fake.jpg FB_ERR_IMAGE_UNSUPPORTED'])
  t.equal(run.ids.length, 4, 'a task id for each image sent, none for the two refused')

  const state = await loadState(join(input, '.faceblur-state.jsonl'))
  t.equal(state.entries.size, 4, 'the state file is in the input folder without --out')
  t.ok([...state.entries.values()].every((e) => e.status === 'SUBMITTED'))
  t.same(sorted([...state.entries.values()].map((e) => e.task_id)), sorted(run.ids), 'the state file holds this run\'s task ids')
  const produced = await eventsFor(run.ids)
  t.same(produced, { submitted: 4, status: 0 }, 'one submitted event per task and no status: producers write `submitted` only')
  for (const rel of SENT) {
    const id = state.entries.get(stateKey('detect', rel))?.task_id ?? ''
    const seen = submittedSeen.get(id) ?? []
    t.equal(seen.length, 1, `${rel}: one submitted event`)
    t.equal(seen[0]?.key, id, `${rel}: keyed by its task id`)
    const e = JSON.parse(seen[0]?.value?.toString() ?? '{}') as TaskSubmittedV1
    t.equal(e.task_id, id)
    t.equal(e.kind, 'detect')
    t.same(e.source, { bucket: store.bucket, key: uploadKey(id), content_type: rel.endsWith('.png') ? 'image/png' : 'image/jpeg', bytes: (await stat(join(input, rel))).size })
    t.notOk('options' in e)
    t.same(await store.get(uploadKey(id)), await readFile(join(input, rel)), `${rel}: its bytes are in MinIO at uploads/{task_id}`)
  }

  // Again: nothing is submitted twice; the four tasks are still in the pipeline.
  const second = plan()
  const again = await runSubmit(args({ dir: input }), deps(second))
  t.equal(again.submitted, 0)
  t.equal(again.followed, 4)
  t.equal(again.unfinished, 4)
  t.equal(second.ids.length, 0, 'no task id taken')
  t.same(await eventsFor(run.ids), produced, 'nothing produced again for the four tasks')
  await readersOk(t)
})

t.test('--wait --out: follows every task and mirrors the results; a re-run skips them all', async (t) => {
  const { root, input, out } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const run = plan({ answer: true, failIf: 'broken' })
  const s = await runSubmit(args({ dir: input, ...WAIT, out }), deps(run))
  t.equal(s.submitted, 4)
  t.equal(s.succeeded, 3)
  t.equal(s.failed, 3, 'broken.jpg in the pipeline, empty.png and fake.jpg before it')
  t.equal(s.unfinished, 0)
  t.equal(s.stopped, undefined)
  const state = await loadState(join(out, '.faceblur-state.jsonl'))
  const brokenId = state.entries.get(stateKey('detect', 'x/y/broken.jpg'))?.task_id
  t.ok(brokenId !== undefined && run.ids.includes(brokenId), 'broken.jpg went through the pipeline under one of this run\'s ids')
  t.same(s.failures.find((f) => f.path === 'x/y/broken.jpg'), { path: 'x/y/broken.jpg', task_id: brokenId, code: 'FB_ERR_IMAGE_UNDECODABLE', message: 'truncated' })
  for (const rel of ['a.jpg', 'x/b.png', 'x/y/c.jpeg']) {
    t.same(JSON.parse(await readFile(join(out, `${rel}.json`), 'utf8')), DETECTION, rel)
    t.equal(state.entries.get(stateKey('detect', rel))?.status, 'SUCCESS', `${rel} recorded as done`)
  }
  await t.rejects(stat(join(out, 'x/y/broken.jpg.json')), { code: 'ENOENT' })
  t.equal(state.entries.get(stateKey('detect', 'x/y/broken.jpg'))?.status, 'FAILURE')
  t.equal(state.entries.get(stateKey('detect', 'x/y/broken.jpg'))?.error?.code, 'FB_ERR_IMAGE_UNDECODABLE')
  const produced = await eventsFor(run.ids)
  t.same(produced, { submitted: 4, status: 12 }, 'per task: submitted once by the CLI; PENDING, STARTED and the end by the stage')

  // The same command again.
  const second = plan({ answer: true })
  const again = await runSubmit(args({ dir: input, ...WAIT, out }), deps(second))
  t.equal(again.submitted, 0)
  t.equal(again.skipped, 4)
  t.equal(again.skippedFailed, 1)
  t.equal(again.unfinished, 0)
  t.equal(second.ids.length, 0, 'no task id taken')
  t.same(await eventsFor(run.ids), produced, 'nothing produced')
  t.ok(again.failures.some((f) => f.path === 'x/y/broken.jpg' && f.task_id === brokenId && f.earlier === true), 'the earlier failure is still reported')

  const retried = plan({ answer: true }) // this time the stage decodes it
  const retry = await runSubmit(args({ dir: input, ...WAIT, out, retryFailed: true }), deps(retried))
  t.equal(retry.submitted, 1, '--retry-failed submits the failed one again')
  t.equal(retry.succeeded, 1)
  t.equal(retry.unfinished, 0)
  t.equal(retried.ids.length, 1)
  t.not(retried.ids[0], brokenId, 'under a new task id')
  t.same(JSON.parse(await readFile(join(out, 'x/y/broken.jpg.json'), 'utf8')), DETECTION)

  // A changed file is submitted again (no --wait: its upload is what matters here).
  await writeFile(join(input, 'a.jpg'), Buffer.concat([JPEG, Buffer.from('changed')]))
  const changedRun = plan()
  const changed = await runSubmit(args({ dir: input, out }), deps(changedRun))
  t.equal(changed.submitted, 1)
  t.equal(changed.skipped, 3)
  t.equal(changedRun.ids.length, 1)
  t.same(await store.get(uploadKey(changedRun.ids[0] ?? '')), Buffer.concat([JPEG, Buffer.from('changed')]), 'the new bytes were uploaded')
  t.equal((await loadState(join(out, '.faceblur-state.jsonl'))).entries.get(stateKey('detect', 'a.jpg'))?.task_id, changedRun.ids[0])
  await readersOk(t)
})

t.test('blur: options travel in the event, blurred images land under the same names', async (t) => {
  const { root, input } = await tree()
  const out = join(input, 'blurred') // inside the input folder: never walked
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const run = plan({ answer: true })
  const s = await runSubmit(args({ dir: input, kind: 'blur', ...WAIT, out, blur: { mode: 'pixelate', padding: 0.1 } }), deps(run))
  t.equal(s.submitted, 4)
  t.equal(s.succeeded, 4)
  t.equal(s.unfinished, 0)
  t.equal(run.ids.length, 4)
  await caughtUp()
  for (const id of run.ids) {
    const e = JSON.parse(submittedSeen.get(id)?.[0]?.value?.toString() ?? '{}') as TaskSubmittedV1
    t.equal(e.kind, 'blur')
    t.same(e.options, { blur: { mode: 'pixelate', padding: 0.1 } }, 'the blur options are in the event')
  }
  for (const rel of SENT) {
    // The result the stage put in MinIO, fetched from there by the CLI.
    t.same(await readFile(join(out, rel)), Buffer.concat([Buffer.from('blurred:'), await readFile(join(input, rel))]), rel)
  }
  const second = plan({ answer: true })
  const again = await runSubmit(args({ dir: input, kind: 'blur', ...WAIT, out }), deps(second))
  t.equal(again.found, 6, 'the output folder inside the input is not walked')
  t.equal(again.skipped, 4)
  t.equal(second.ids.length, 0)
  const detectRun = plan({ answer: true })
  const detect = await runSubmit(args({ dir: input, kind: 'detect', ...WAIT, out }), deps(detectRun))
  t.equal(detect.submitted, 4, 'the state is per kind')
  t.equal(detect.succeeded, 4)
  t.equal(detect.unfinished, 0)
  t.same(JSON.parse(await readFile(join(out, 'x/b.png.json'), 'utf8')), DETECTION)
  await readersOk(t)
})

t.test('tasks submitted without --wait are followed, not resubmitted, by a later --wait', async (t) => {
  const { root, input, out } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const first = plan({ answer: true }) // answered, but nobody follows
  const s = await runSubmit(args({ dir: input, out }), deps(first))
  t.equal(s.submitted, 4)
  t.equal(s.unfinished, 4)
  // Every task is done and its statuses are on the topic before the next run starts.
  await finished(first.ids)
  const produced = await eventsFor(first.ids)
  const later = plan({ answer: true })
  const collected = await runSubmit(args({ dir: input, out, ...WAIT }), deps(later))
  t.equal(collected.submitted, 0)
  t.equal(collected.followed, 4)
  t.equal(collected.succeeded, 4)
  t.equal(collected.unfinished, 0)
  t.equal(later.ids.length, 0)
  t.same(await eventsFor(first.ids), produced, 'nothing produced')
  for (const rel of SENT) t.same(JSON.parse(await readFile(join(out, `${rel}.json`), 'utf8')), DETECTION, rel)
  await readersOk(t)
})

t.test('bounded concurrency; a storage failure stops the run, and the next run resumes', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  for (let i = 0; i < 60; i++) {
    await mkdir(join(root, `d${i % 3}`), { recursive: true })
    await writeFile(join(root, `d${i % 3}`, `${i}.jpg`), Buffer.concat([JPEG, Buffer.from(String(i))]))
  }
  const counted = instrumented(store)
  const run = plan()
  const s = await runSubmit(args({ dir: root, concurrency: 5 }), deps(run, { store: counted.store }))
  t.equal(s.submitted, 60)
  t.equal(counted.puts, 60, 'every upload went through the real store')
  t.ok(counted.maxConcurrent <= 5 && counted.maxConcurrent > 1, `at most 5 uploads at once (saw ${counted.maxConcurrent})`)
  t.equal((await eventsFor(run.ids)).submitted, 60)

  const root2 = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  t.teardown(() => rm(root2, { recursive: true, force: true }))
  for (let i = 0; i < 30; i++) await writeFile(join(root2, `${i}.jpg`), JPEG)
  const failing = instrumented(store, 10)
  const brokenRun = plan()
  const b = await runSubmit(args({ dir: root2, concurrency: 2 }), deps(brokenRun, { store: failing.store }))
  t.match(b.stopped, /object store refused an upload/)
  t.ok(b.submitted < 30 && b.submitted >= 9, `${b.submitted} submitted before it stopped`)
  t.same(b.failures.map((f) => f.code), ['FB_ERR_STORAGE_UNAVAILABLE'])
  t.equal(brokenRun.ids.length, b.submitted + 1, 'an id for each upload tried')
  t.equal((await eventsFor(brokenRun.ids)).submitted, b.submitted, 'an event for each upload that worked, none for the one that failed')
  const resumedRun = plan()
  const resumed = await runSubmit(args({ dir: root2, concurrency: 2 }), deps(resumedRun))
  t.equal(resumed.submitted + resumed.followed, 30)
  t.equal(resumed.followed, b.submitted, 'nothing submitted twice')
  t.equal(resumed.submitted, resumedRun.ids.length)
  t.equal((await eventsFor([...brokenRun.ids, ...resumedRun.ids])).submitted, 30, 'thirty submitted events over both runs')
  await readersOk(t)
})

t.test('an abort stops taking files; --timeout gives up waiting', async (t) => {
  const { root, input, out } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const ac = new AbortController()
  ac.abort()
  const aborted = plan()
  const s = await runSubmit(args({ dir: input }), deps(aborted, { signal: ac.signal }))
  t.equal(s.stopped, 'interrupted')
  t.equal(s.submitted, 0)
  t.equal(aborted.ids.length, 0, 'nothing uploaded or produced')

  const silent = plan({ answer: false }) // the stage reads them and never answers
  const startedAt = Date.now()
  const timed = await runSubmit(args({ dir: input, wait: true, out, timeoutS: 1 }), deps(silent))
  t.match(timed.stopped, /--timeout 1 s/)
  t.equal(timed.submitted, 4)
  t.equal(timed.unfinished, 4)
  t.ok(Date.now() - startedAt >= 1000, 'it waited the second')
  t.same(await eventsFor(silent.ids), { submitted: 4, status: 0 }, 'the tasks really are unanswered')
  await readersOk(t)
})

t.test('refuses a missing folder, or --out equal to the input', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await writeFile(join(root, 'a.jpg'), JPEG)
  const run = plan()
  await t.rejects(runSubmit(args({ dir: join(root, 'nope') }), deps(run)), SubmitError)
  await t.rejects(runSubmit(args({ dir: root, out: root, wait: true }), deps(run)), /must not be the input folder/)
  t.equal(run.ids.length, 0, 'nothing uploaded or produced')
  await readersOk(t)
})
