// Whether batches pay: YuNet-n on video-frame inputs (640×384, a 16:9 frame's pass), run one at a
// time and in batches of 2, 4 and 8, on one single-thread session and on the service's CPU pool
// (one-thread workers, one per core, behind `batching`). Prints inputs/s and CPU ms per input
// (the whole process: the pool's workers too), each measured in the same run.
//   npm run bench:batch           (from the repository root; BENCH_INPUTS=N for more inputs)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { batching } from '../src/batching.js'
import { prepare } from '../src/image.js'
import { openModelPool } from '../src/model-pool.js'
import { openModel, toBatchInput } from '../src/onnx-session.js'
import { yunet } from '../src/models/index.js'

const modelPath = process.env.FACEBLUR_MODEL_PATH
if (modelPath === undefined || process.env.FACEBLUR_MODEL !== 'yunet-n') throw new Error('run it as `npm run bench:batch` (FACEBLUR_MODEL=yunet-n and its FACEBLUR_MODEL_PATH)')
const N = Number(process.env.BENCH_INPUTS ?? 96)
const SIZES = [1, 2, 4, 8]
const shape = { width: 640, height: 384 }

const root = join(import.meta.dirname, '../../..')
const seed = readFileSync(join(root, '../shared/fixtures/seed_test.jpg'))
const photos = [seed, readFileSync(join(root, 'e2e/fixtures/astronaut.png')), await sharp(seed).flop().jpeg().toBuffer()]
const frames = await Promise.all(photos.map(async (p) => (await prepare(p, () => shape, 64_000_000)).rgb))
const inputs = Array.from({ length: N }, (_, i) => frames[i % frames.length]!)

async function measure (name: string, work: () => Promise<void>): Promise<void> {
  await work() // warm-up: arenas, JIT, the workers' first runs
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await work()
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const cpuMs = (cpu.user + cpu.system) / 1000 / N
  console.log(`${name.padEnd(40)} ${((N / wall) * 1000).toFixed(1).padStart(7)} inputs/s   ${cpuMs.toFixed(1).padStart(6)} CPU ms per input`)
}

console.log(`batch benchmark: YuNet-n, ${N} inputs of ${shape.width}×${shape.height} (${photos.length} real photos), CPU`)
const session = await openModel(modelPath, 'cpu', { threads: 1, family: yunet })
for (const size of SIZES) {
  const tensors = Array.from({ length: N / size }, (_, i) => toBatchInput(yunet, inputs.slice(i * size, (i + 1) * size), shape))
  await measure(`one session, one thread, batch ${size}`, async () => { for (const input of tensors) await session.runBatch(input, shape, size) })
}
await session.release()

const pool = await openModelPool(modelPath, { workers: 0, threads: 1, soloThreads: 1 }, 'yunet-n')
for (const size of SIZES) {
  const model = batching(pool, size)
  // lanes × batch in flight, as the video stage keeps them.
  await measure(`pool (${pool.lanes} workers), batches up to ${size}`, async () => {
    let next = 0
    await Promise.all(Array.from({ length: model.lanes }, async () => {
      while (next < N) await model.infer(inputs[next++]!, false, shape)
    }))
  })
}
await pool.release()
