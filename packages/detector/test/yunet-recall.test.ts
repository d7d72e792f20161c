// YuNet-n through the service's detector (worker pool, tiling, merge) on the recall tests YOLOv8n
// passes: the seed photo against YOLO's reference boxes, the astronaut, the seed mosaics 2×2…6×6
// and the 40 px crowd. It prints what it finds, so the two models can be compared.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { Box } from '@faceblur/contracts'
import { createDetector } from '../src/detector.js'
import { openModelPool } from '../src/model-pool.js'
import { yunet } from '../src/models/index.js'
import { iou } from '../src/postprocess.js'
import { makeCrowd } from './support/crowd.js'
import { facesFound, makeMosaic } from './support/mosaic.js'

const modelPath = process.env.FACEBLUR_YUNET_MODEL_PATH
if (modelPath === undefined) throw new Error('FACEBLUR_YUNET_MODEL_PATH is not set: run the tests with `npm test`')
const session = await openModelPool(modelPath, { workers: 2, threads: 1, soloThreads: 0 }, 'yunet-n')
t.teardown(() => session.release())
// The service's defaults for this model (its confidence, FACEBLUR_IOU and the tiling settings).
const YUNET_CONFIDENCE = yunet.defaultConfidence
const detector = createDetector(session, 'yunet-n', { confidence: YUNET_CONFIDENCE, iou: 0.45, maxPixels: 64_000_000, tiling: { above: 1920, size: 960, overlap: 0.25 } })
const tiled = createDetector(session, 'yunet-n', { confidence: YUNET_CONFIDENCE, iou: 0.45, maxPixels: 64_000_000, tiling: { above: 1600, size: 960, overlap: 0.25 } })

const root = join(import.meta.dirname, '../../..')
const reference = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/reference-boxes.json'), 'utf8')) as {
  images: Record<string, { faces: Array<{ box: Box }> }>
}
const asCandidate = (b: Box): { x1: number, y1: number, x2: number, y2: number, score: number } => ({ x1: b[0], y1: b[1], x2: b[2], y2: b[3], score: 1 })

t.test('the seed photo: both faces, where YOLOv8n-face\'s reference decode puts them', async (t) => {
  const got = await detector.detect(readFileSync(join(root, '../shared/fixtures/seed_test.jpg')))
  const ref = reference.images['seed_test.jpg']!.faces
  t.equal(got.faces.length, ref.length, JSON.stringify(got.faces))
  ref.forEach((r, i) => {
    const overlap = iou(asCandidate(got.faces[i]!.box), asCandidate(r.box))
    t.ok(overlap >= 0.75, `face ${i + 1}: ${JSON.stringify(got.faces[i]?.box)} vs ${JSON.stringify(r.box)}, IoU ${overlap.toFixed(3)}`)
  })
})

t.test('the astronaut: one face', async (t) => {
  const got = await detector.detect(readFileSync(join(root, 'e2e/fixtures/astronaut.png')))
  t.equal(got.faces.length, 1, JSON.stringify(got.faces))
})

t.test('the fixture tiled N×N: all 2·N² faces, one box each', async (t) => {
  for (let n = 2; n <= 6; n++) {
    const mosaic = await makeMosaic(n)
    const result = await detector.detect(mosaic.image)
    const found = facesFound(mosaic.faces, result.faces)
    t.comment(`yunet-n ${n}×${n} (${mosaic.width}×${mosaic.height}): ${found} / ${mosaic.faces.length} faces, ${result.faces.length} boxes, ${result.views} model runs`)
    t.equal(found, mosaic.faces.length, `${n}×${n}: every face found`)
    t.equal(result.faces.length, mosaic.faces.length, `${n}×${n}: one box per face`)
  }
})

t.test('the crowd of 50 faces about 40 px wide, tiled', async (t) => {
  const crowd = await makeCrowd()
  const result = await tiled.detect(crowd.image)
  const hits = crowd.faces.filter((truth) => result.faces.some((f) => iou(asCandidate(f.box), asCandidate(truth)) >= 0.4)).length
  t.comment(`yunet-n crowd: ${hits}/${crowd.faces.length} faces, ${result.faces.length} boxes, ${result.views} model runs`)
  t.ok(hits >= 0.9 * crowd.faces.length, `at least 90 % found (${hits})`)
  t.ok(result.faces.length <= crowd.faces.length * 1.1, `few duplicates or false faces (${result.faces.length} boxes)`)
})
