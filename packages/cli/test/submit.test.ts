// The whole submit flow against an in-memory bus and store that behave like the pipeline: every
// `submitted` event is answered on the status topic (a detection, or a blurred object).
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { codecs, namesFor, type TaskStatusV1, type TaskSubmittedV1 } from '@faceblur/contracts'
import type { BusMessage, ConsumeOptions, OutgoingMessage } from '@faceblur/service-kit'
import type { SubmitArgs } from '../src/args.js'
import { loadState, stateKey } from '../src/state-file.js'
import { runSubmit, SubmitError, type SubmitDeps } from '../src/submit.js'

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4])
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.from([0, 0, 0, 13])])
const { topics } = namesFor('unit.')

interface FakeOptions {
  /** Answer each submitted task (default: yes). */
  answer?: boolean
  /** Fail the tasks whose file name contains this. */
  failing?: string
  /** Fail the nth put. */
  putFailsAt?: number
}

function fakePipeline (opts: FakeOptions = {}) {
  const objects = new Map<string, { body: Buffer, contentType: string }>()
  const published: OutgoingMessage[] = []
  const statusLog: BusMessage[] = []
  const handlers: Array<ConsumeOptions['handle']> = []
  let puts = 0
  let maxConcurrentPuts = 0
  let concurrentPuts = 0
  let offset = 0
  const emit = (s: TaskStatusV1): void => {
    const m: BusMessage = { topic: topics.status, partition: 0, offset: String(offset++), key: s.task_id, value: codecs.taskStatus.encode(s), headers: {} }
    statusLog.push(m)
    for (const h of handlers) void h(m)
  }
  const at = (): string => new Date().toISOString()
  const model = { name: 'yolov8n-face', sha256: 'x', provider: 'cpu' }
  const deps: SubmitDeps = {
    topics,
    groupId: `unit-${randomUUID()}`,
    progress: { write: () => true },
    store: {
      bucket: 'faceblur',
      async put (key, body, contentType) {
        puts++
        if (opts.putFailsAt === puts) throw Object.assign(new Error('object store: connect ECONNREFUSED'), { code: 'FB_ERR_STORAGE_UNAVAILABLE' })
        concurrentPuts++
        maxConcurrentPuts = Math.max(maxConcurrentPuts, concurrentPuts)
        await new Promise((resolve) => setTimeout(resolve, 1))
        concurrentPuts--
        objects.set(key, { body, contentType })
      },
      async get (key) {
        const o = objects.get(key)
        if (o === undefined) throw Object.assign(new Error(`object ${key} is not in the store`), { code: 'FB_ERR_SOURCE_MISSING' })
        return o.body
      }
    },
    bus: {
      async publish (messages) {
        published.push(...messages)
        if (opts.answer === false) return
        for (const m of messages) {
          if (m.topic === topics.status) { emit(JSON.parse(m.value.toString()) as TaskStatusV1); continue }
          const e = JSON.parse(m.value.toString()) as TaskSubmittedV1
          setImmediate(() => {
            emit({ task_id: e.task_id, kind: e.kind, status: 'STARTED', stage: 'detector', at: at() })
            const path = pathsByTask.get(e.task_id) ?? ''
            if (opts.failing !== undefined && path.includes(opts.failing)) {
              emit({ task_id: e.task_id, kind: e.kind, status: 'FAILURE', stage: 'detector', at: at(), error: { code: 'FB_ERR_IMAGE_UNDECODABLE', message: 'truncated' } })
            } else if (e.kind === 'detect') {
              emit({ task_id: e.task_id, kind: 'detect', status: 'SUCCESS', stage: 'detector', at: at(), result: { kind: 'detect', image: { width: 8, height: 8 }, faces: [{ box: [1, 2, 3, 4], score: 0.9 }], model } })
            } else {
              const key = `results/${e.task_id}`
              objects.set(key, { body: Buffer.concat([Buffer.from('blurred:'), objects.get(e.source.key)!.body]), contentType: e.source.content_type })
              emit({ task_id: e.task_id, kind: 'blur', status: 'SUCCESS', stage: 'blurrer', at: at(), result: { kind: 'blur', object: { ...e.source, key }, faces: [], model } })
            }
          })
        }
      },
      async consume (o) {
        t.equal(o.fromBeginning, true, 'the follower reads the status topic from the start')
        t.same(o.topics, [topics.status])
        for (const m of statusLog) await o.handle(m) // what the topic already holds
        handlers.push(o.handle)
        return { stop: async () => { handlers.splice(handlers.indexOf(o.handle), 1) } }
      }
    }
  }
  // Which file a task came from, for `failing`: the uploaded bytes end with the file's name.
  const pathsByTask = new Map<string, string>()
  const origPut = deps.store.put
  deps.store.put = async (key, body, contentType) => {
    pathsByTask.set(key.slice('uploads/'.length), body.subarray(8).toString('latin1'))
    await origPut(key, body, contentType)
  }
  return { deps, objects, published, get maxConcurrentPuts () { return maxConcurrentPuts } }
}

async function tree (): Promise<{ root: string, input: string, out: string }> {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  const input = join(root, 'in')
  const files: Record<string, Buffer | string> = {
    'a.jpg': JSON.stringify('a.jpg'),
    'x/b.png': 'x/b.png',
    'x/y/c.jpeg': 'x/y/c.jpeg',
    'x/y/broken.jpg': 'x/y/broken.jpg',
    'x/notes.txt': 'not an image',
    'fake.jpg': 'plain text with an image name',
    'empty.png': ''
  }
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(input, rel, '..'), { recursive: true })
    const magic = rel.endsWith('.png') ? PNG : JPEG
    await writeFile(join(input, rel), content === '' || rel === 'fake.jpg' || rel.endsWith('.txt') ? content : Buffer.concat([magic, Buffer.from(rel, 'latin1')]))
  }
  return { root, input, out: join(root, 'out') }
}

const args = (over: Partial<SubmitArgs>): SubmitArgs => ({
  command: 'submit', dir: '.', kind: 'detect', concurrency: 4, wait: false, retryFailed: false, timeoutS: 0, json: false, stats: false, quiet: false, ...over
})

t.test('without --wait: uploads and produces each image once, keyed by its task id', async (t) => {
  const { root, input } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const fake = fakePipeline({ answer: false })
  const s = await runSubmit(args({ dir: input }), fake.deps)
  t.equal(s.found, 6, 'six image names')
  t.equal(s.ignored, 1, 'notes.txt')
  t.equal(s.submitted, 4)
  t.equal(s.unfinished, 4)
  t.same(s.failures.map((f) => `${f.path} ${f.code}`).sort(), ['empty.png FB_ERR_UPLOAD_EMPTY', 'fake.jpg FB_ERR_IMAGE_UNSUPPORTED'])
  const submitted = fake.published.filter((m) => m.topic === topics.submitted).map((m) => ({ key: m.key, e: JSON.parse(m.value.toString()) as TaskSubmittedV1 }))
  t.equal(submitted.length, 4)
  for (const { key, e } of submitted) {
    t.equal(key, e.task_id)
    t.equal(e.source.key, `uploads/${e.task_id}`)
    t.ok(fake.objects.has(e.source.key))
    t.equal(e.source.bytes, fake.objects.get(e.source.key)!.body.length)
    t.equal(e.source.content_type, fake.objects.get(e.source.key)!.contentType)
    t.equal(e.kind, 'detect')
    t.notOk('options' in e)
  }
  t.same(submitted.map((x) => x.e.source.content_type).sort(), ['image/jpeg', 'image/jpeg', 'image/jpeg', 'image/png'])
  const pending = fake.published.filter((m) => m.topic === topics.status).map((m) => JSON.parse(m.value.toString()) as TaskStatusV1)
  t.same(pending.map((p) => `${p.status}/${p.stage}`), Array(4).fill('PENDING/gateway'), 'PENDING for each, as the gateway does')
  const state = await loadState(join(input, '.faceblur-state.jsonl'))
  t.equal(state.entries.size, 4, 'the state file is in the input folder without --out')
  t.ok([...state.entries.values()].every((e) => e.status === 'SUBMITTED'))

  // Again: nothing is submitted twice; the four tasks are still in the pipeline.
  const again = await runSubmit(args({ dir: input }), fakePipeline({ answer: false }).deps)
  t.equal(again.submitted, 0)
  t.equal(again.followed, 4)
  t.equal(again.unfinished, 4)
})

t.test('--wait --out: follows every task and mirrors the results; a re-run skips them all', async (t) => {
  const { root, input, out } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const fake = fakePipeline({ failing: 'broken' })
  const s = await runSubmit(args({ dir: input, wait: true, out }), fake.deps)
  t.equal(s.submitted, 4)
  t.equal(s.succeeded, 3)
  t.equal(s.failed, 3, 'broken.jpg in the pipeline, empty.png and fake.jpg before it')
  t.equal(s.unfinished, 0)
  t.same(s.failures.find((f) => f.path === 'x/y/broken.jpg'), { path: 'x/y/broken.jpg', task_id: s.failures.find((f) => f.path === 'x/y/broken.jpg')?.task_id, code: 'FB_ERR_IMAGE_UNDECODABLE', message: 'truncated' })
  for (const rel of ['a.jpg', 'x/b.png', 'x/y/c.jpeg']) {
    t.same(JSON.parse(await readFile(join(out, `${rel}.json`), 'utf8')), { face_1: { facial_area: [1, 2, 3, 4] } }, rel)
  }
  await t.rejects(stat(join(out, 'x/y/broken.jpg.json')), { code: 'ENOENT' })
  const state = await loadState(join(out, '.faceblur-state.jsonl'))
  t.equal(state.entries.get(stateKey('detect', 'x/y/broken.jpg'))?.status, 'FAILURE')
  t.equal(state.entries.get(stateKey('detect', 'x/y/broken.jpg'))?.error?.code, 'FB_ERR_IMAGE_UNDECODABLE')
  t.equal(state.entries.get(stateKey('detect', 'a.jpg'))?.status, 'SUCCESS')

  const second = fakePipeline()
  const again = await runSubmit(args({ dir: input, wait: true, out }), second.deps)
  t.equal(again.submitted, 0)
  t.equal(again.skipped, 4)
  t.equal(again.skippedFailed, 1)
  t.equal(second.published.length, 0, 'nothing produced')
  t.ok(again.failures.some((f) => f.path === 'x/y/broken.jpg' && f.earlier === true), 'the earlier failure is still reported')

  const retry = await runSubmit(args({ dir: input, wait: true, out, retryFailed: true }), fakePipeline().deps)
  t.equal(retry.submitted, 1, '--retry-failed submits the failed one again')
  t.equal(retry.succeeded, 1)

  // A changed file is submitted again.
  await writeFile(join(input, 'a.jpg'), Buffer.concat([JPEG, Buffer.from('changed')]))
  const changed = await runSubmit(args({ dir: input, wait: true, out }), fakePipeline().deps)
  t.equal(changed.submitted, 1)
})

t.test('blur: options travel in the event, blurred images land under the same names', async (t) => {
  const { root, input } = await tree()
  const out = join(input, 'blurred') // inside the input folder: never walked
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const fake = fakePipeline()
  const s = await runSubmit(args({ dir: input, kind: 'blur', wait: true, out, blur: { mode: 'pixelate', padding: 0.1 } }), fake.deps)
  t.equal(s.succeeded, 4)
  const e = JSON.parse(fake.published.find((m) => m.topic === topics.submitted)!.value.toString()) as TaskSubmittedV1
  t.same(e.options, { blur: { mode: 'pixelate', padding: 0.1 } })
  t.equal(await readFile(join(out, 'x/b.png'), 'latin1'), `blurred:${PNG.toString('latin1')}x/b.png`)
  t.ok((await stat(join(out, 'x/y/c.jpeg'))).isFile())
  const again = await runSubmit(args({ dir: input, kind: 'blur', wait: true, out }), fakePipeline().deps)
  t.equal(again.found, 6, 'the output folder inside the input is not walked')
  t.equal(again.skipped, 4)
  const detect = await runSubmit(args({ dir: input, kind: 'detect', wait: true, out }), fakePipeline().deps)
  t.equal(detect.submitted, 4, 'the state is per kind')
})

t.test('tasks submitted without --wait are followed, not resubmitted, by a later --wait', async (t) => {
  const { root, input, out } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const first = fakePipeline() // answers, but nobody follows
  const s = await runSubmit(args({ dir: input, out }), first.deps)
  t.equal(s.unfinished, 4)
  await new Promise((resolve) => setImmediate(resolve))
  // The same topic, read from the start by the next run.
  const later = fakePipeline()
  later.deps.bus.consume = first.deps.bus.consume
  later.deps.store.get = first.deps.store.get
  const collected = await runSubmit(args({ dir: input, out, wait: true }), later.deps)
  t.equal(collected.submitted, 0)
  t.equal(collected.followed, 4)
  t.equal(collected.succeeded, 4)
  t.ok((await stat(join(out, 'x/y/c.jpeg.json'))).isFile())
})

t.test('bounded concurrency; a storage failure stops the run, and the next run resumes', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  for (let i = 0; i < 60; i++) {
    await mkdir(join(root, `d${i % 3}`), { recursive: true })
    await writeFile(join(root, `d${i % 3}`, `${i}.jpg`), Buffer.concat([JPEG, Buffer.from(String(i))]))
  }
  const fake = fakePipeline({ answer: false })
  await runSubmit(args({ dir: root, concurrency: 5 }), fake.deps)
  t.ok(fake.maxConcurrentPuts <= 5 && fake.maxConcurrentPuts > 1, `at most 5 uploads at once (saw ${fake.maxConcurrentPuts})`)

  const root2 = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  t.teardown(() => rm(root2, { recursive: true, force: true }))
  for (let i = 0; i < 30; i++) await writeFile(join(root2, `${i}.jpg`), JPEG)
  const broken = fakePipeline({ answer: false, putFailsAt: 10 })
  const s = await runSubmit(args({ dir: root2, concurrency: 2 }), broken.deps)
  t.match(s.stopped, /object store refused an upload/)
  t.ok(s.submitted < 30 && s.submitted >= 9, `${s.submitted} submitted before it stopped`)
  t.equal(s.failures.length, 1)
  const resumed = await runSubmit(args({ dir: root2, concurrency: 2 }), fakePipeline({ answer: false }).deps)
  t.equal(resumed.submitted + resumed.followed, 30)
  t.equal(resumed.followed, s.submitted, 'nothing submitted twice')
})

t.test('an abort stops taking files; --timeout gives up waiting', async (t) => {
  const { root, input, out } = await tree()
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const ac = new AbortController()
  ac.abort()
  const s = await runSubmit(args({ dir: input }), { ...fakePipeline({ answer: false }).deps, signal: ac.signal })
  t.equal(s.stopped, 'interrupted')
  t.equal(s.submitted, 0)
  const silent = fakePipeline({ answer: false })
  const timed = await runSubmit(args({ dir: input, wait: true, out, timeoutS: 1 }), silent.deps)
  t.match(timed.stopped, /--timeout 1 s/)
  t.equal(timed.unfinished, 4)
})

t.test('refuses a missing folder, or --out equal to the input', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await t.rejects(runSubmit(args({ dir: join(root, 'nope') }), fakePipeline().deps), SubmitError)
  await t.rejects(runSubmit(args({ dir: root, out: root, wait: true }), fakePipeline().deps), /must not be the input folder/)
})
