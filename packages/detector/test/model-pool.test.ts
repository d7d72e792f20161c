// The worker pool the service runs its CPU model on: same answers as the model in this thread,
// whether a run goes to the solo worker (nothing else running) or to the one-thread workers.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { prepare, square } from '../src/image.js'
import { openModelPool } from '../src/model-pool.js'
import { openModel } from '../src/onnx-session.js'

const modelPath = process.env.FACEBLUR_YOLO_MODEL_PATH
if (modelPath === undefined) throw new Error('FACEBLUR_YOLO_MODEL_PATH is not set: run the tests with `npm test`')
const seed = readFileSync(join(import.meta.dirname, '../../../../shared/fixtures/seed_test.jpg'))
const [local, pool] = await Promise.all([openModel(modelPath, 'cpu'), openModelPool(modelPath, { workers: 2, threads: 1, soloThreads: 0 })])
t.teardown(async () => { await Promise.all([local.release(), pool.release()]) })
const { rgb } = await prepare(seed, square(local.inputSize), 64_000_000)
const expected = await local.infer(rgb)

const maxDiff = (a: Float32Array[], b: Float32Array[]): number => Math.max(...a.map((out, k) => out.reduce((m, v, i) => Math.max(m, Math.abs(v - b[k]![i]!)), 0)))

t.test('the pool describes the model as the session does', async (t) => {
  t.equal(pool.sha256, local.sha256)
  t.equal(pool.inputSize, local.inputSize)
  t.equal(pool.family, local.family)
  t.equal(pool.lanes, 2)
})

t.test('a lone run (the solo worker) and overlapping runs (one thread each) give the session\'s output', async (t) => {
  const alone = await pool.infer(rgb, true)
  t.same(alone.map((o) => o.length), expected.map((o) => o.length))
  t.ok(maxDiff(alone, expected) < 1e-3, `alone: max difference ${maxDiff(alone, expected)}`)
  const together = await Promise.all(Array.from({ length: 5 }, async (_, i) => await pool.infer(rgb, i === 0)))
  for (const out of together) t.ok(maxDiff(out, expected) < 1e-3, `overlapping: max difference ${maxDiff(out, expected)}`)
})

t.test('a malformed input fails its own run and the pool goes on', async (t) => {
  await t.rejects(pool.infer(new Uint8Array(10)))
  t.ok(maxDiff(await pool.infer(rgb), expected) < 1e-3)
})
