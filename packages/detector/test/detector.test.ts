// YOLOv8n-face on real images: needs FACEBLUR_YOLO_MODEL_PATH (set by `npm test`).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import { createDetector } from '../src/detector.js'
import { openModel } from '../src/onnx-session.js'

const modelPath = process.env.FACEBLUR_YOLO_MODEL_PATH
if (modelPath === undefined) throw new Error('FACEBLUR_YOLO_MODEL_PATH is not set: run the tests with `npm test`')

const session = await openModel(modelPath, 'cpu')
const detector = createDetector(session, 'yolov8n-face', { confidence: 0.25, iou: 0.45, maxPixels: 64_000_000 })
t.teardown(() => session.release())
const seed = readFileSync(join(import.meta.dirname, '../../../../shared/fixtures/seed_test.jpg'))

t.test('the model has the layout the detector decodes', async (t) => {
  t.equal(session.inputSize, 640)
  t.equal(session.family.name, 'yolov8n-face')
  t.equal(session.provider, 'cpu')
  t.match(session.sha256, /^[0-9a-f]{64}$/)
})

t.test('the seed image: two faces, one per half', async (t) => {
  const { image, faces } = await detector.detect(seed)
  t.same(image, { width: 1634, height: 1000 })
  t.equal(faces.length, 2)
  t.ok(faces[0]!.box[2] < 817 && faces[1]!.box[0] > 817, 'one face in each half')
  for (const f of faces) t.ok(f.score > 0.5, `score ${f.score}`)
})

t.test('a blank image has no faces', async (t) => {
  const blank = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#808080' } }).png().toBuffer()
  t.same((await detector.detect(blank)).faces, [])
})

t.test('boxes refer to the upright image when EXIF says rotate', async (t) => {
  // Store the seed rotated 90° clockwise on disk with orientation 8 (rotate 90° CCW to view):
  // the upright image is the original, so the boxes must match the original's.
  const sideways = await sharp(seed).rotate(90).withMetadata({ orientation: 8 }).jpeg().toBuffer()
  const upright = await detector.detect(seed)
  const rotated = await detector.detect(sideways)
  t.same(rotated.image, upright.image)
  t.equal(rotated.faces.length, upright.faces.length)
  rotated.faces.forEach((f, i) => {
    f.box.forEach((v, k) => t.ok(Math.abs(v - upright.faces[i]!.box[k]!) <= 6, `coordinate ${k} of face ${i + 1}: ${v} vs ${upright.faces[i]!.box[k]}`))
  })
})

t.test('grey, CMYK, alpha, 16-bit and WebP images work', async (t) => {
  const variants = {
    grey: await sharp(seed).greyscale().jpeg().toBuffer(),
    alpha: await sharp(seed).ensureAlpha(0.9).png().toBuffer(),
    sixteenBit: await sharp(seed).toColourspace('rgb16').png().toBuffer(),
    cmyk: await sharp(seed).toColourspace('cmyk').jpeg().toBuffer(),
    webp: await sharp(seed).webp().toBuffer()
  }
  t.equal((await sharp(variants.cmyk).metadata()).space, 'cmyk', 'the CMYK fixture really is CMYK')
  for (const [name, bytes] of Object.entries(variants)) {
    const { faces } = await detector.detect(bytes)
    t.equal(faces.length, 2, `${name}: two faces`)
  }
})

t.test('a broken image is a coded, non-retriable error', async (t) => {
  await t.rejects(detector.detect(seed.subarray(0, 5000)), { code: 'FB_ERR_IMAGE_UNDECODABLE', retriable: false })
  await t.rejects(detector.detect(Buffer.from('not an image')), { code: 'FB_ERR_IMAGE_UNSUPPORTED' })
})
