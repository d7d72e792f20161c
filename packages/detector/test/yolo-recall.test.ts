// YOLOv8n-face fp32 and its INT8 export on the photos, the seed tiled N×N (N = 2..6) and the crowd,
// each image through both once. fp32 against the truth: on a mosaic every one of the 2·N² faces,
// one box each. INT8 against fp32 (issue #12's bar): at least 99 % of fp32's faces with IoU ≥ 0.9
// to fp32's box. On the crowd of 40 px faces INT8 finds every one, but a pixel or two of difference
// is a large part of a 40 px box: there it keeps fewer than 99 % at IoU 0.9 (printed), which is why
// INT8 is not the default. Run by `npm test` (the package's test script), which sets both paths.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import { createDetector, type Detector } from '../src/detector.js'
import { openModelPool } from '../src/model-pool.js'
import { makeCrowd } from './support/crowd.js'
import { boxIou, facesFound, makeMosaic, type Mosaic } from './support/mosaic.js'

const fp32Path = process.env.FACEBLUR_YOLO_MODEL_PATH
const int8Path = process.env.FACEBLUR_INT8_MODEL_PATH
if (fp32Path === undefined || int8Path === undefined) throw new Error('FACEBLUR_YOLO_MODEL_PATH and FACEBLUR_INT8_MODEL_PATH must be set: run the tests with `npm test`')

// The service's defaults: one pass up to 1920 px, the tile pyramid above.
const options = { confidence: 0.25, iou: 0.45, maxPixels: 64_000_000, tiling: { above: 1920, size: 960, overlap: 0.25 } }
const models = await Promise.all([fp32Path, int8Path].map(async (path) => await openModelPool(path, { workers: 2, threads: 1, soloThreads: 0 })))
t.teardown(async () => { await Promise.all(models.map(async (m) => { await m.release() })) })
const [fp32, int8] = models.map((m, i) => createDetector(m, i === 0 ? 'fp32' : 'int8', options)) as [Detector, Detector]

const root = join(import.meta.dirname, '../../..')
const seed = readFileSync(join(root, '../shared/fixtures/seed_test.jpg'))
/** An image to run, and for a mosaic the true faces fp32 must find. */
interface Case { image: Buffer, truth?: Mosaic }
const mosaic = async (n: number): Promise<Case> => { const m = await makeMosaic(n); return { image: m.image, truth: m } }
const images: Array<[string, () => Promise<Case>, 'strict' | 'small faces']> = [
  ['seed_test.jpg', async () => ({ image: seed }), 'strict'],
  ['astronaut.png', async () => ({ image: readFileSync(join(root, 'e2e/fixtures/astronaut.png')) }), 'strict'],
  ['seed_test.jpg@800x490', async () => ({ image: await sharp(seed).resize(800, 490, { fit: 'fill' }).png().toBuffer() }), 'strict'],
  ...[2, 3, 4, 5, 6].map((n): [string, () => Promise<Case>, 'strict'] => [`seed ${n}×${n} mosaic`, async () => await mosaic(n), 'strict']),
  ['crowd of 50 faces 40 px wide', async () => ({ image: (await makeCrowd()).image }), 'small faces']
]

for (const [name, load, bar] of images) {
  t.test(name, async (t) => {
    const { image, truth } = await load()
    const [a, b] = await Promise.all([fp32.detect(image), int8.detect(image)])
    if (truth !== undefined) {
      const found = facesFound(truth.faces, a.faces)
      t.comment(`fp32 ${name} (${truth.width}×${truth.height}): ${found} / ${truth.faces.length} faces, ${a.faces.length} boxes, ${a.views} model runs`)
      t.equal(found, truth.faces.length, `fp32 ${name}: every face found`)
      t.equal(a.faces.length, truth.faces.length, `fp32 ${name}: one box per face`)
    }
    // For each fp32 face, the IoU of the INT8 box closest to it.
    const best = a.faces.map((f) => Math.max(0, ...b.faces.map((g) => boxIou(f.box, g.box))))
    const within = (iou: number): number => best.filter((v) => v >= iou).length
    t.comment(`${name}: fp32 ${a.faces.length} faces, int8 ${b.faces.length}; ${within(0.9)} of fp32's within IoU 0.9, worst ${Math.min(...best).toFixed(3)}`)
    t.ok(a.faces.length > 0, 'fp32 finds faces here')
    t.equal(within(0.5), a.faces.length, 'INT8 finds every face fp32 finds')
    t.ok(b.faces.length <= a.faces.length, 'and no extra boxes')
    // On 40 px faces a pixel is 2.5 % of a side: how many boxes stay within IoU 0.9 depends on the
    // CPU's INT8 kernels (35 of 50 with AVX2 only, 44 with VNNI; printed above). Every box within
    // 0.7 holds on both and guards against a worse recipe.
    if (bar === 'strict') t.ok(within(0.9) >= 0.99 * a.faces.length, '≥ 99 % within IoU 0.9 of fp32\'s box')
    else t.equal(within(0.7), a.faces.length, 'every box within IoU 0.7 of fp32\'s')
  })
}
