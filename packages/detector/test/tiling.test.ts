// Small faces in a large photo: one 640 px pass misses them, tiling finds them (real model). The
// seed tiled N×N on the shipped tiling defaults is in yolo-recall.test.ts, beside INT8.
import t from 'tap'
import { createDetector } from '../src/detector.js'
import { openModelPool } from '../src/model-pool.js'
import { iou } from '../src/postprocess.js'
import { makeCrowd } from './support/crowd.js'

const modelPath = process.env.FACEBLUR_YOLO_MODEL_PATH
if (modelPath === undefined) throw new Error('FACEBLUR_YOLO_MODEL_PATH is not set: run the tests with `npm test`')
const session = await openModelPool(modelPath, { workers: 2, threads: 1, soloThreads: 0 }) // the service's CPU path
t.teardown(() => session.release())
const base = { confidence: 0.25, iou: 0.45, maxPixels: 64_000_000 }
const onePass = createDetector(session, 'yolov8n-face', base)
const tiled = createDetector(session, 'yolov8n-face', { ...base, tiling: { above: 1600, size: 960, overlap: 0.25 } })

const crowd = await makeCrowd()

function matched (found: Array<{ box: [number, number, number, number] }>): number {
  return crowd.faces.filter((truth) => found.some((f) => iou({ x1: f.box[0], y1: f.box[1], x2: f.box[2], y2: f.box[3], score: 1 },
    { x1: truth[0], y1: truth[1], x2: truth[2], y2: truth[3], score: 1 }) >= 0.4)).length
}

t.test(`a ${crowd.width}×${crowd.height} crowd of ${crowd.faces.length} faces about 40 px wide`, async (t) => {
  const single = await onePass.detect(crowd.image)
  const many = await tiled.detect(crowd.image)
  const singleHits = matched(single.faces)
  const tiledHits = matched(many.faces)
  t.comment(`one pass: ${singleHits}/${crowd.faces.length} faces (${single.views} run); tiled: ${tiledHits}/${crowd.faces.length} (${many.views} runs, ${many.faces.length} boxes)`)
  t.equal(single.views, 1)
  t.ok(many.views > 1, 'tiling ran')
  t.ok(tiledHits >= 0.9 * crowd.faces.length, `tiling finds at least 90% (${tiledHits})`)
  t.ok(tiledHits > singleHits * 2, `tiling finds far more than one pass (${tiledHits} vs ${singleHits})`)
  t.ok(many.faces.length <= crowd.faces.length * 1.1, `few duplicates or false faces (${many.faces.length} boxes)`)
})

t.test('tiling keeps big faces: the seed image scaled to 4900 px still gives two faces', async (t) => {
  const sharp = (await import('sharp')).default
  const { readFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const seed = readFileSync(join(import.meta.dirname, '../../../../shared/fixtures/seed_test.jpg'))
  const big = await sharp(seed).resize(4902, 3000).jpeg().toBuffer()
  const result = await tiled.detect(big)
  t.ok(result.views > 1)
  t.equal(result.faces.length, 2, JSON.stringify(result.faces))
})
