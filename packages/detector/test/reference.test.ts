// The detector's boxes against an independent reference decoding of the same model's raw output
// (reference/yolov8_reference.py: Pillow + onnxruntime + numpy), committed as a fixture.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import type { Box } from '@faceblur/contracts'
import { createDetector } from '../src/detector.js'
import { openModelPool } from '../src/model-pool.js'
import { iou } from '../src/postprocess.js'

const modelPath = process.env.FACEBLUR_YOLO_MODEL_PATH
if (modelPath === undefined) throw new Error('FACEBLUR_YOLO_MODEL_PATH is not set: run the tests with `npm test`')
const session = await openModelPool(modelPath, { workers: 2, threads: 1, soloThreads: 0 }) // the service's CPU path
t.teardown(() => session.release())
const detector = createDetector(session, 'yolov8n-face', { confidence: 0.25, iou: 0.45, maxPixels: 64_000_000 })

const reference = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/reference-boxes.json'), 'utf8')) as {
  images: Record<string, { width: number, height: number, faces: Array<{ box: Box, score: number }> }>
}
const root = join(import.meta.dirname, '../../..')
const seed = readFileSync(join(root, '../shared/fixtures/seed_test.jpg'))
const inputs: Record<string, () => Promise<Buffer>> = {
  'seed_test.jpg': async () => seed,
  'astronaut.png': async () => readFileSync(join(root, 'e2e/fixtures/astronaut.png')),
  'seed_test.jpg@800x490': async () => await sharp(seed).resize(800, 490, { fit: 'fill' }).png().toBuffer()
}
const asCandidate = (b: Box): { x1: number, y1: number, x2: number, y2: number, score: number } => ({ x1: b[0], y1: b[1], x2: b[2], y2: b[3], score: 1 })

for (const [name, expected] of Object.entries(reference.images)) {
  t.test(`${name}: same faces as the reference, IoU ≥ 0.9 each`, async (t) => {
    const got = await detector.detect(await inputs[name]!())
    t.same(got.image, { width: expected.width, height: expected.height })
    t.equal(got.faces.length, expected.faces.length, 'same number of faces')
    expected.faces.forEach((ref, i) => {
      const mine = got.faces[i]!
      const overlap = iou(asCandidate(mine.box), asCandidate(ref.box))
      t.ok(overlap >= 0.9, `face ${i + 1}: ${JSON.stringify(mine.box)} vs reference ${JSON.stringify(ref.box)}, IoU ${overlap.toFixed(3)}`)
      t.ok(Math.abs(mine.score - ref.score) < 0.05, `score ${mine.score} vs ${ref.score}`)
    })
  })
}
