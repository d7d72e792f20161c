// The `faceblur` command as a bulk producer, run as its own process against the real Kafka, MinIO,
// detector and blurrer: a folder tree in, mirrored results out, failures reported with their
// codes, a second run that skips everything, and 10,000 files in bounded memory.
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import { namesFor, type Box, type DetectionResultBody } from '@faceblur/contracts'
import { createBus, loadEnvConfig, SharedEnv, storeFromConfig } from '@faceblur/service-kit'
import { pino } from 'pino'
import { childNodeOptions, namespace, start, type RunningService } from '../support/harness.js'
import { detailEnergy, gray, iou } from '../support/pixels.js'

const cli = join(import.meta.dirname, '../../packages/cli/dist/main.js')
const seed = await readFile(join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg'))
const astronaut = await readFile(join(import.meta.dirname, '../fixtures/astronaut.png'))
const SEED_FACES: Box[] = [[220, 156, 623, 700], [1044, 232, 1465, 795]]

/** The summary `faceblur submit --json` prints (the fields these tests read). */
interface Summary {
  found: number, ignored: number, submitted: number, followed: number, skipped: number, skippedFailed: number,
  succeeded: number, failed: number, unfinished: number, elapsedMs: number,
  failures: Array<{ path: string, task_id?: string, code: string, message: string, earlier?: boolean }>
  stats?: { maxRssBytes: number }
}

interface Run { code: number | null, stdout: string, stderr: string }

function faceblur (args: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, cli, ...args], { env: { ...process.env, NODE_OPTIONS: childNodeOptions, FACEBLUR_NAMESPACE: namespace, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const summaryOf = (run: Run): Summary => {
  try {
    return JSON.parse(run.stdout) as Summary
  } catch {
    throw new Error(`no JSON summary (exit ${run.code}):\n${run.stdout}\n${run.stderr}`)
  }
}

async function put (root: string, files: Record<string, Buffer | string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true })
    await writeFile(join(root, rel), content)
  }
}

/** Two copies of the seed (two faces each) and two of the astronaut (one face), nested, and a note. */
const photos = {
  'seed.jpg': seed,
  'people/seed copy.jpg': seed,
  'people/space/astronaut.png': astronaut,
  'people/space/deeper/astronaut-2.png': astronaut,
  'notes/readme.txt': 'not an image: ignored'
}

/** The 10,000 uploads nobody will process: removed rather than left for the bucket's expiry. */
async function removeUploads (stateFile: string): Promise<void> {
  const config = loadEnvConfig(SharedEnv, process.env)
  const store = storeFromConfig(config)
  const ids = (await readFile(stateFile, 'utf8')).trim().split('\n').map((line) => (JSON.parse(line) as { task_id: string }).task_id)
  let next = 0
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < ids.length) await store.remove(`uploads/${ids[next++]!}`).catch(() => undefined)
  }))
}

let work: string
const services: RunningService[] = []
t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'faceblur-cli-e2e-'))
  services.push(...await Promise.all([start('detector'), start('blurrer')]))
})
t.teardown(async () => {
  await Promise.all(services.map((s) => s.stop()))
  await rm(work, { recursive: true, force: true })
})

t.test('detect --wait --out: detections mirror the tree, a failure has its code, a second run skips everything', async (t) => {
  const input = join(work, 'photos-detect')
  const out = join(work, 'detections')
  // A JPEG cut short gets past the CLI (its first bytes are fine: no gateway checks its end) and
  // fails in the detector.
  await put(input, { ...photos, 'broken/cut.jpg': seed.subarray(0, Math.floor(seed.length / 3)) })

  const first = await faceblur(['submit', input, '--kind', 'detect', '--wait', '--out', out, '--json', '--timeout', '120'])
  const s = summaryOf(first)
  t.equal(first.code, 1, 'exit 1: a file failed')
  t.match(s, { found: 5, ignored: 1, submitted: 5, succeeded: 4, failed: 1, unfinished: 0, skipped: 0 })
  t.match(s.failures, [{ path: 'broken/cut.jpg', code: 'FB_ERR_IMAGE_UNDECODABLE' }])
  t.match(s.failures[0]?.task_id, /^[0-9a-f-]{36}$/)
  t.match(first.stderr, /wait done 5\/5 \(ok 4, failed 1\)/, 'the progress line, plain on a pipe')

  for (const rel of ['seed.jpg', 'people/seed copy.jpg']) {
    const faces = JSON.parse(await readFile(join(out, `${rel}.json`), 'utf8')) as DetectionResultBody
    t.same(Object.keys(faces), ['face_1', 'face_2'], `${rel}: two faces`)
    SEED_FACES.forEach((expected, i) => {
      const box = faces[`face_${i + 1}`]!.facial_area
      t.ok(iou(box, expected) > 0.85, `${rel} face_${i + 1} ${JSON.stringify(box)} ≈ ${JSON.stringify(expected)}`)
    })
  }
  for (const rel of ['people/space/astronaut.png', 'people/space/deeper/astronaut-2.png']) {
    const faces = JSON.parse(await readFile(join(out, `${rel}.json`), 'utf8')) as DetectionResultBody
    t.equal(Object.keys(faces).length, 1, `${rel}: one face`)
  }
  await t.rejects(stat(join(out, 'broken/cut.jpg.json')), { code: 'ENOENT' }, 'no result for the failed file')
  await t.rejects(stat(join(out, 'notes')), { code: 'ENOENT' }, 'nothing for the ignored file')

  const second = await faceblur(['submit', input, '--kind', 'detect', '--wait', '--out', out, '--json', '--timeout', '120'])
  const again = summaryOf(second)
  t.match(again, { found: 5, submitted: 0, followed: 0, skipped: 5, skippedFailed: 1, succeeded: 0, failed: 0 }, 'everything skipped')
  t.match(again.failures, [{ path: 'broken/cut.jpg', code: 'FB_ERR_IMAGE_UNDECODABLE', earlier: true }], 'the earlier failure is still reported')
  t.equal(second.code, 1, 'and still makes the exit status 1')
})

t.test('blur --wait --out: blurred images at the same size, faces destroyed; exit 0; a second run skips everything', async (t) => {
  const input = join(work, 'photos-blur')
  const out = join(work, 'blurred')
  await put(input, photos)

  const first = await faceblur(['submit', input, '--kind', 'blur', '--wait', '--out', out, '--concurrency', '2', '--timeout', '120'])
  t.equal(first.code, 0, first.stdout + first.stderr)
  t.match(first.stdout, 'faceblur blur: 4 images under')
  t.match(first.stdout, 'succeeded 4, failed 0')
  t.notMatch(first.stdout, 'failures:')

  for (const [rel, original] of [['seed.jpg', seed], ['people/seed copy.jpg', seed], ['people/space/astronaut.png', astronaut], ['people/space/deeper/astronaut-2.png', astronaut]] as const) {
    const blurred = await readFile(join(out, rel))
    const [a, b] = await Promise.all([sharp(original).metadata(), sharp(blurred).metadata()])
    t.same([b.format, b.width, b.height], [a.format, a.width, a.height], `${rel}: decodes, same format and size`)
  }
  const [before, after] = await Promise.all([gray(seed), gray(await readFile(join(out, 'seed.jpg')))])
  for (const box of SEED_FACES) {
    const w = box[2] - box[0]
    const h = box[3] - box[1]
    const inner: Box = [box[0] + Math.round(w * 0.2), box[1] + Math.round(h * 0.2), box[2] - Math.round(w * 0.2), box[3] - Math.round(h * 0.2)]
    const ratio = detailEnergy(before, inner) / detailEnergy(after, inner)
    t.ok(ratio > 10, `face detail dropped ${ratio.toFixed(1)}×`)
  }
  const state = (await readFile(join(out, '.faceblur-state.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { path: string, status: string })
  t.same(state.filter((e) => e.status === 'SUCCESS').map((e) => e.path).sort(), ['people/seed copy.jpg', 'people/space/astronaut.png', 'people/space/deeper/astronaut-2.png', 'seed.jpg'])

  const second = await faceblur(['submit', input, '--kind', 'blur', '--wait', '--out', out, '--json'])
  t.equal(second.code, 0)
  t.match(summaryOf(second), { found: 4, submitted: 0, skipped: 4, skippedFailed: 0, failed: 0 })
})

t.test('10,000 small files without --wait: all produced, bounded memory, resumable', async (t) => {
  const N = 10_000
  const ns = `${namespace}bulk.` // no stage consumes this namespace: the tasks just wait on the topic
  const input = join(work, 'many')
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 120, b: 80 } } }).png().toBuffer()
  for (let d = 0; d < N / 100; d++) {
    await mkdir(join(input, `d${d}`), { recursive: true })
    await Promise.all(Array.from({ length: 100 }, (_, i) => writeFile(join(input, `d${d}`, `${i}.png`), png)))
  }

  // The old generation capped at 128 MiB, about four times the ~31 MiB the CLI keeps live: a leak of
  // 10 KiB a file (held promises, objects, list entries) would pass the cap within the 10,000 files
  // and fail the run. (Nearer its live heap, V8 collects the old generation hundreds of times in
  // the run: at 64 or 96 MiB the CLI spent over twice its CPU on it.)
  const run = await faceblur(['submit', input, '--kind', 'detect', '--concurrency', '32', '--stats', '--json'], { FACEBLUR_NAMESPACE: ns }, ['--max-old-space-size=128'])
  const s = summaryOf(run)
  t.teardown(() => removeUploads(join(input, '.faceblur-state.jsonl')))
  t.equal(run.code, 0, run.stderr)
  t.match(s, { found: N, submitted: N, failed: 0, unfinished: N })
  const rssMiB = s.stats!.maxRssBytes / 2 ** 20
  t.ok(rssMiB < 200, `peak RSS ${rssMiB.toFixed(1)} MiB for ${N} files (< 200 MiB)`)
  t.comment(`${N} files in ${(s.elapsedMs / 1000).toFixed(1)} s, peak RSS ${rssMiB.toFixed(1)} MiB`)

  const bus = createBus({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'e2e-cli', logger: pino({ level: 'error' }) })
  t.teardown(() => bus.close())
  const { topics } = namesFor(ns)
  const count = async (topic: string): Promise<number> => Number((await bus.offsets(topic)).reduce((sum, p) => sum + p.high - p.low, 0n))
  // Delivery is at least once: a send retried after a broker hiccup (NOT_LEADER while fresh topics
  // elect their leaders) may write an event twice (the producer is not idempotent, see bus.ts), so
  // the events are counted by task id.
  const distinct = async (topic: string, events: number): Promise<number> => {
    const ids = new Set<string>()
    let read = 0
    let done: () => void = () => {}
    const all = new Promise<void>((resolve) => { done = resolve })
    const sub = await bus.consume({
      groupId: `e2e-cli-count-${randomUUID()}`, topics: [topic], fromBeginning: true, commit: 'never', partitionsConcurrently: 6,
      handle: async (m) => { if (m.key !== null) ids.add(m.key); if (++read >= events) done() }
    })
    await Promise.race([all, new Promise((resolve) => { setTimeout(resolve, 60_000).unref() })])
    await sub.stop()
    return ids.size
  }
  const submittedEvents = await count(topics.submitted)
  t.ok(submittedEvents >= N && submittedEvents < N * 1.01, `${submittedEvents} submitted events for ${N} files (a retried send may repeat one)`)
  t.equal(await distinct(topics.submitted, submittedEvents), N, `${N} tasks on the submitted topic`)
  // No stage runs in this namespace, so nothing creates its status topic unless the CLI wrote to it.
  const statusEvents = await bus.ready([topics.status]) ? await count(topics.status) : 0
  t.equal(statusEvents, 0, 'no status event: producers write `submitted` only (a detector announces what it takes)')
  t.equal((await readFile(join(input, '.faceblur-state.jsonl'), 'utf8')).trim().split('\n').length, N, 'one state line per file')
  t.equal((await readdir(input)).length, N / 100 + 1, 'the tree plus the state file')

  const again = await faceblur(['submit', input, '--kind', 'detect', '--concurrency', '32', '--json'], { FACEBLUR_NAMESPACE: ns })
  t.equal(again.code, 0)
  t.match(summaryOf(again), { found: N, submitted: 0, followed: N, unfinished: N }, 'nothing submitted twice')
  t.equal(await count(topics.submitted), submittedEvents, 'the second run produced nothing')
})
