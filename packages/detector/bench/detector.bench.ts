// Detector speed on real photos, raw session against the whole stage, in one run. The raw rate is
// one session in this thread with its default threads (the yardstick); the stage runs the model as
// the service does (on CPU, a pool of one-thread workers).
//   npm run bench:detector        (from the repository root; BENCH_IMAGES=N for more images)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { createDetector } from '../src/detector.js'
import { prepare, square } from '../src/image.js'
import { toChwFloat } from '../src/letterbox.js'
import { loadModel } from '../src/model-pool.js'
import { openModel, type ProviderChoice } from '../src/onnx-session.js'
import { facesFound, makeMosaic } from '../test/support/mosaic.js'

const modelPath = process.env.FACEBLUR_MODEL_PATH
if (modelPath === undefined) throw new Error('FACEBLUR_MODEL_PATH is not set (`npm run model` prints it)')
const N = Number(process.env.BENCH_IMAGES ?? 60)
const provider = (process.env.FACEBLUR_EXECUTION_PROVIDER ?? 'auto') as ProviderChoice

const root = join(import.meta.dirname, '../../..')
const seed = readFileSync(join(root, '../shared/fixtures/seed_test.jpg'))
const photos = [
  seed,
  readFileSync(join(root, 'e2e/fixtures/astronaut.png')),
  await sharp(seed).resize(1024).jpeg({ quality: 90 }).toBuffer(),
  await sharp(seed).extract({ left: 0, top: 0, width: 817, height: 1000 }).jpeg({ quality: 90 }).toBuffer()
]
const images = Array.from({ length: N }, (_, i) => photos[i % photos.length]!)

const session = await openModel(modelPath, provider)
const model = await loadModel(modelPath, 'yolov8n-face', provider, { workers: 0, threads: 1, soloThreads: 0 })
const detector = createDetector(model, 'yolov8n-face', { confidence: 0.25, iou: 0.45, maxPixels: 64_000_000 })

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!
function report (name: string, perImage: number[], wallMs: number): number {
  const rate = (perImage.length / wallMs) * 1000
  console.log(`${name.padEnd(38)} ${rate.toFixed(1).padStart(7)} img/s   p50 ${pct(perImage, 0.5).toFixed(1).padStart(6)} ms   p95 ${pct(perImage, 0.95).toFixed(1).padStart(6)} ms`)
  return rate
}

async function timed (fn: (img: Buffer) => Promise<unknown>, list: Buffer[]): Promise<{ per: number[], wall: number }> {
  const per: number[] = []
  const t0 = performance.now()
  for (const img of list) {
    const s = performance.now()
    await fn(img)
    per.push(performance.now() - s)
  }
  return { per, wall: performance.now() - t0 }
}

// Warm-up: the first runs allocate the arena and JIT the JS.
for (const p of photos) await detector.detect(p)

const tensors = await Promise.all(images.map(async (img) => toChwFloat((await prepare(img, square(session.inputSize), 64_000_000)).rgb, session.inputSize, session.inputSize)))
for (const tensor of tensors.slice(0, 3)) await session.run(tensor) // its warm-up
const raw = await (async () => {
  const per: number[] = []
  const t0 = performance.now()
  for (const tensor of tensors) {
    const s = performance.now()
    await session.run(tensor)
    per.push(performance.now() - s)
  }
  return { per, wall: performance.now() - t0 }
})()
await session.release() // the yardstick is measured; the stage's workers get the cores to themselves

// k images in flight, as the stage runs with FACEBLUR_DETECTOR_CONCURRENCY=k: the next images
// decode while the current ones are inferred, on as many workers as there are lanes.
async function inFlight (k: number): Promise<{ per: number[], wall: number }> {
  const per: number[] = []
  const t0 = performance.now()
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < images.length) {
      const img = images[next++]!
      const s = performance.now()
      await detector.detect(img)
      per.push(performance.now() - s)
    }
  }
  await Promise.all(Array.from({ length: k }, lane))
  return { per, wall: performance.now() - t0 }
}
const stage = await inFlight(1)
const stage2 = await inFlight(2)
const stage4 = await inFlight(4)

console.log(`detector benchmark: ${N} real photos (${photos.length} distinct, 512 px to 1634 px), provider ${model.provider}, ${model.lanes} lane(s), model ${model.sha256.slice(0, 12)}`)
const rawRate = report('raw session.run (tensor ready)', raw.per, raw.wall)
const rates = [report('stage, one at a time', stage.per, stage.wall), report('stage, 2 in flight', stage2.per, stage2.wall), report('stage, 4 in flight', stage4.per, stage4.wall)]
console.log(`stage / raw: ${rates.map((r, i) => `${[1, 2, 4][i]} in flight ${(100 * r / rawRate).toFixed(1)} %`).join(', ')}`)

// The cost of recall on large photos: the fixture tiled N×N, with the default tiling settings.
const tiled = createDetector(model, 'yolov8n-face', { confidence: 0.25, iou: 0.45, maxPixels: 64_000_000, tiling: { above: 1920, size: 960, overlap: 0.25 } })
console.log('\nlarge photos of large faces (the fixture tiled N×N), default tiling:')
console.log('mosaic   size          faces found   model runs   ms per image')
for (let n = 2; n <= 6; n++) {
  const mosaic = await makeMosaic(n)
  const t0 = performance.now()
  const result = await tiled.detect(mosaic.image)
  const ms = performance.now() - t0
  const found = facesFound(mosaic.faces, result.faces)
  console.log(`${`${n}×${n}`.padEnd(8)} ${`${mosaic.width}×${mosaic.height}`.padEnd(13)} ${`${found} / ${mosaic.faces.length}`.padStart(11)}   ${String(result.views).padStart(10)}   ${ms.toFixed(0).padStart(12)}`)
}
await model.release()
