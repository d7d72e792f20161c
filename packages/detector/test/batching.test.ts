// Batches: which waiting inputs go through one run (pure, on a stand-in model that sums its
// input), and on the real YuNet-n pool that a batched run answers as single runs do, through the
// detector on a tiled mosaic (one image, many views of one shape) and several photos at once.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { batching, batchSize, takeBatch } from '../src/batching.js'
import { createDetector } from '../src/detector.js'
import { prepare } from '../src/image.js'
import { openModelPool } from '../src/model-pool.js'
import { openModel, type InputSize, type Model } from '../src/onnx-session.js'
import { yunet } from '../src/models/index.js'
import { makeMosaic } from './support/mosaic.js'

const shape = (width: number, height = width): { shape: InputSize } => ({ shape: { width, height } })

t.test('a batch is the oldest input and those of its shape behind it, up to the limit', async (t) => {
  const queue = [{ id: 1, ...shape(640) }, { id: 2, ...shape(320) }, { id: 3, ...shape(640) }, { id: 4, ...shape(640) }, { id: 5, ...shape(640, 416) }]
  t.same(takeBatch(queue, 2).map((w) => w.id), [1, 3])
  t.same(queue.map((w) => w.id), [2, 4, 5], 'the rest keep their order')
  t.same(takeBatch(queue, 8).map((w) => w.id), [2])
  t.same(takeBatch(queue, 8).map((w) => w.id), [4], '640×640 and 640×416 never share a run')
  t.same(takeBatch(queue, 8).map((w) => w.id), [5])
  t.same(takeBatch(queue, 8), [])
})

t.test('the batch the service runs: the setting within the file\'s limit, else 8 on CUDA and 1 on CPU', async (t) => {
  t.equal(batchSize(0, 'cpu', 64), 1)
  t.equal(batchSize(0, 'cuda', 64), 8)
  t.equal(batchSize(0, 'cuda', 1), 1, 'YOLOv8n-face\'s export fixes its batch at one')
  t.equal(batchSize(4, 'cpu', 64), 4)
  t.equal(batchSize(16, 'cpu', 2), 2)
})

/** A stand-in model with `lanes` lanes whose output is the sum of its input, recording each run's size. */
function summingModel (lanes: number): Model & { runs: number[], release: () => Promise<void>, finish: () => void } {
  const runs: number[] = []
  const gates: Array<() => void> = []
  const sum = (rgb: Uint8Array): Float32Array[] => [Float32Array.of(rgb.reduce((a, b) => a + b, 0))]
  const held = async <T>(value: T): Promise<T> => await new Promise((resolve) => gates.push(() => { resolve(value) }))
  return {
    provider: 'cpu',
    sha256: 'stand-in',
    family: yunet,
    inputSize: 32,
    lanes,
    maxBatch: 64,
    runs,
    infer: async (rgb) => { runs.push(1); return await held(sum(rgb)) },
    inferBatch: async (rgbs) => {
      runs.push(rgbs.length)
      if (rgbs.some((rgb) => rgb.length === 0)) throw new Error('empty input')
      return await held(rgbs.map(sum))
    },
    release: async () => {},
    finish: () => { for (const open of gates.splice(0)) open() }
  }
}
const input = (v: number): Uint8Array => Uint8Array.of(v)
const settle = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

t.test('inputs waiting while every lane is busy go through one run, each caller getting its own outputs', async (t) => {
  const model = summingModel(1)
  const batched = batching(model, 3)
  t.equal(batched.lanes, 3, 'callers keep lanes × batch in flight')
  const answers = [1, 2, 3, 4, 5, 6].map(async (v) => (await batched.infer(input(v), false, { width: 32, height: 32 }))[0]![0])
  await settle()
  t.same(model.runs, [1], 'the first input runs at once, alone: it waits for no company')
  model.finish()
  await settle()
  t.same(model.runs, [1, 3], 'the next three waiting share a run')
  model.finish()
  await settle()
  model.finish()
  t.same(await Promise.all(answers), [1, 2, 3, 4, 5, 6])
  t.same(model.runs, [1, 3, 2])
})

t.test('a failed batch fails each of its inputs, and the next inputs still run', async (t) => {
  const model = summingModel(1)
  const batched = batching(model, 4)
  const first = batched.infer(input(1))
  const failing = [batched.infer(new Uint8Array(0)), batched.infer(input(2))]
  await settle()
  model.finish()
  await first
  for (const run of failing) await t.rejects(run, /empty input/)
  const after = batched.infer(input(7))
  await settle()
  model.finish()
  t.same((await after)[0]![0], 7)
})

t.test('a batch of one is the model itself', async (t) => {
  const model = summingModel(2)
  t.equal(batching(model, 1), model)
})

const modelPath = process.env.FACEBLUR_YUNET_MODEL_PATH
if (modelPath === undefined) throw new Error('FACEBLUR_YUNET_MODEL_PATH is not set: run the tests with `npm test`')
const root = join(import.meta.dirname, '../../..')
const seed = readFileSync(join(root, '../shared/fixtures/seed_test.jpg'))
const astronaut = readFileSync(join(root, 'e2e/fixtures/astronaut.png'))

t.test('YuNet-n: one batched run gives each input the outputs of its own run', async (t) => {
  const session = await openModel(modelPath, 'cpu', { threads: 1, family: yunet })
  t.teardown(() => session.release())
  t.ok(session.maxBatch > 1, `the export leaves its batch open (limit ${session.maxBatch})`)
  const size = { width: 640, height: 640 }
  const rgbs = await Promise.all([seed, astronaut].map(async (image) => (await prepare(image, () => size, 64_000_000)).rgb))
  const single = await Promise.all(rgbs.map(async (rgb) => await session.infer(rgb, false, size)))
  const batched = await session.inferBatch(rgbs, size)
  t.equal(batched.length, 2)
  batched.forEach((outputs, i) => {
    const diff = Math.max(...outputs.map((o, k) => o.reduce((m, v, j) => Math.max(m, Math.abs(v - single[i]![k]![j]!)), 0)))
    t.ok(diff < 1e-3, `input ${i + 1}: max difference ${diff}`)
  })
})

t.test('YuNet-n pool, batches of 4: the detector finds what it finds unbatched', async (t) => {
  const pool = await openModelPool(modelPath, { workers: 2, threads: 1, soloThreads: 0 }, 'yunet-n')
  t.teardown(() => pool.release())
  const options = { confidence: yunet.defaultConfidence, iou: 0.45, maxPixels: 64_000_000, tiling: { above: 1920, size: 960, overlap: 0.25 } }
  const sizes: number[] = [] // each batched run's inputs
  const counted: Model = { ...pool, inferBatch: async (rgbs, size) => { sizes.push(rgbs.length); return await pool.inferBatch(rgbs, size) } }
  const plain = createDetector(pool, 'yunet-n', options)
  const batched = createDetector(batching(counted, 4), 'yunet-n', options)
  const { image } = await makeMosaic(2)
  for (const [name, photo] of [['2×2 mosaic, tiled', image], ['seed photo', seed], ['astronaut', astronaut]] as const) {
    const [want, got] = await Promise.all([plain.detect(photo), batched.detect(photo)])
    t.equal(got.faces.length, want.faces.length, `${name}: ${got.faces.length} faces in ${got.views} views`)
    got.faces.forEach((f, i) => { t.ok(f.box.every((v, k) => Math.abs(v - want.faces[i]!.box[k]!) <= 1), `${name} face ${i + 1}: ${JSON.stringify(f.box)} vs ${JSON.stringify(want.faces[i]!.box)}`) })
  }
  t.ok(sizes.some((n) => n > 1), `the mosaic's tiles went through batched runs (${sizes.join(', ')} inputs)`)
  // Several photos at once: their views queue together, and each gets its own faces back.
  const photos = [seed, astronaut, seed, astronaut, seed, astronaut]
  const [want, got] = await Promise.all([Promise.all(photos.map(async (p) => await plain.detect(p))), Promise.all(photos.map(async (p) => await batched.detect(p)))])
  t.same(got.map((d) => d.faces.length), want.map((d) => d.faces.length), 'six photos at once')
})
