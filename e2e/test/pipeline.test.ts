// One real task of each kind all the way through: gateway → Kafka → detector (YOLOv8-face on
// onnxruntime) → Kafka → blurrer (sharp) → MinIO → gateway, with nothing mocked.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import type { Box, DetectionResultBody } from '@faceblur/contracts'
import { loadEnvConfig, SharedEnv, storeFromConfig } from '@faceblur/service-kit'
import { goneFromStore } from '../support/store.js'
import { Client, freePort, start, type RunningService } from '../support/harness.js'
import { detailEnergy, gray, iou, meanAbsDiff } from '../support/pixels.js'

const seed = readFileSync(join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg'))
const astronaut = readFileSync(join(import.meta.dirname, '../fixtures/astronaut.png'))
// The original service's README shows these boxes for its test image.
const SEED_FACES: Box[] = [[220, 156, 623, 700], [1044, 232, 1465, 795]]

const shared = loadEnvConfig(SharedEnv, process.env)
const store = storeFromConfig(shared)

const port = freePort()
const client = new Client(`http://127.0.0.1:${port}`)
const services: RunningService[] = []

t.before(async () => {
  services.push(...await Promise.all([
    start('gateway', { PORT: String(port) }),
    start('detector'),
    start('blurrer')
  ]))
})
t.teardown(async () => { await Promise.all(services.map((s) => s.stop())) })

t.test('detect: the seed image gives two faces in the original shapes', async (t) => {
  const id = await client.submitOk('detect', seed)
  t.match(id, /^[0-9a-f-]{36}$/)
  const { final, seen } = await client.waitDone(id)
  t.equal(final.status, 'SUCCESS', `statuses seen: ${seen.join(' → ')}`)
  t.notOk('error' in final)
  const faces = final.result as DetectionResultBody
  t.same(Object.keys(faces), ['face_1', 'face_2'])
  SEED_FACES.forEach((expected, i) => {
    const box = faces[`face_${i + 1}`]!.facial_area
    t.ok(box.every(Number.isInteger), 'integer pixels')
    t.ok(iou(box, expected) > 0.85, `face_${i + 1} ${JSON.stringify(box)} matches the original service's ${JSON.stringify(expected)} (IoU ${iou(box, expected).toFixed(3)})`)
  })
  t.same(seen, ['PENDING', 'STARTED', 'SUCCESS'].filter((s) => seen.includes(s)), `statuses only move forward: ${seen.join(' → ')}`)
  t.ok(await goneFromStore(store, `uploads/${id}`), 'the upload is deleted once detected')
})

t.test('detect: a public-domain portrait (PNG) gives one face', async (t) => {
  const { final } = await client.waitDone(await client.submitOk('detect', astronaut))
  t.equal(final.status, 'SUCCESS')
  const faces = Object.values(final.result as DetectionResultBody)
  t.equal(faces.length, 1)
  const [x1, y1, x2, y2] = faces[0]!.facial_area
  t.ok(x1 > 150 && x2 < 300 && y1 > 30 && y2 < 220, `face box ${JSON.stringify(faces[0]!.facial_area)} is on Eileen Collins's face`)
})

t.test('blur: faces are destroyed, the background is kept, the original is deleted', async (t) => {
  const id = await client.submitOk('blur', seed)
  const { final, seen } = await client.waitDone(id)
  t.equal(final.status, 'SUCCESS', `statuses seen: ${seen.join(' → ')}`)
  t.type(final.result, 'string')
  const blurred = Buffer.from(final.result as string, 'base64')
  const [before, after] = await Promise.all([gray(seed), gray(blurred)])
  t.same([after.width, after.height], [before.width, before.height], 'same dimensions')

  for (const box of SEED_FACES) {
    // The inner part of the face, where the eyes, nose and mouth are.
    const w = box[2] - box[0]
    const h = box[3] - box[1]
    const inner: Box = [box[0] + Math.round(w * 0.2), box[1] + Math.round(h * 0.2), box[2] - Math.round(w * 0.2), box[3] - Math.round(h * 0.2)]
    const ratio = detailEnergy(before, inner) / detailEnergy(after, inner)
    t.ok(ratio > 10, `fine detail in the face dropped ${ratio.toFixed(1)}× (≥ 10×)`)
    t.ok(meanAbsDiff(before, after, inner) > 8, `the face changed strongly (mean |Δ| ${meanAbsDiff(before, after, inner).toFixed(1)})`)
  }
  // Background far from both padded faces: the top-left corner and the bottom centre strip.
  for (const bg of [[0, 0, 150, 120], [700, 880, 950, 1000]] as Box[]) {
    const diff = meanAbsDiff(before, after, bg)
    t.ok(diff < 3, `background ${JSON.stringify(bg)} nearly unchanged (mean |Δ| ${diff.toFixed(2)} < 3)`)
  }

  const binary = await fetch(`${client.base}/results/${id}`)
  t.equal(binary.status, 200)
  t.equal(binary.headers.get('content-type'), 'image/jpeg')
  t.ok(Buffer.from(await binary.arrayBuffer()).equals(blurred), '/results serves the same bytes')
  t.ok(await goneFromStore(store, `uploads/${id}`), 'the original is deleted after the blur')
})

t.test('unknown and malformed task ids are answered, never left PENDING', async (t) => {
  const unknown = await client.poll('00000000-0000-4000-8000-000000000000')
  t.equal(unknown.status, 404)
  t.match(unknown.body, { error: { code: 'FB_ERR_TASK_NOT_FOUND' } })
  const malformed = await client.poll('not-a-task')
  t.equal(malformed.status, 400)
  t.match(malformed.body, { error: { code: 'FB_ERR_TASK_ID_INVALID' } })
})

t.test('bad uploads get clear 4xx errors and the service keeps working', async (t) => {
  const text = await client.submit('detect', Buffer.from('hello, I am not an image'), 'photo.jpg')
  t.equal(text.status, 415)
  t.match(await text.json(), { error: { code: 'FB_ERR_IMAGE_UNSUPPORTED' } })

  const empty = await client.submit('detect', Buffer.alloc(0))
  t.equal(empty.status, 422)
  t.match(await empty.json(), { error: { code: 'FB_ERR_UPLOAD_EMPTY' } })

  const form = new FormData()
  form.append('image', new Blob([seed]), 'photo.jpg')
  const misnamed = await fetch(`${client.base}/detect_faces`, { method: 'POST', body: form })
  t.equal(misnamed.status, 400)
  t.match(await misnamed.json(), { error: { code: 'FB_ERR_UPLOAD_MISSING_FILE' } })

  // A truncated JPEG is refused at the door; a PNG whose header and end are intact but whose
  // pixel data is corrupt gets through, and the detector must fail its task, not hang or crash.
  const cut = await client.submit('detect', seed.subarray(0, Math.floor(seed.length / 3)))
  t.equal(cut.status, 422)
  t.match(await cut.json(), { error: { code: 'FB_ERR_IMAGE_UNDECODABLE' } })
  const corrupt = await sharp(seed).png().toBuffer()
  for (let i = Math.floor(corrupt.length * 0.4); i < Math.floor(corrupt.length * 0.6); i++) corrupt[i] = corrupt[i]! ^ 0x5a
  const brokenId = await client.submitOk('detect', corrupt)
  const broken = await client.waitDone(brokenId)
  t.equal(broken.final.status, 'FAILURE')
  t.match(broken.final, { error: { code: 'FB_ERR_IMAGE_UNDECODABLE' } })
  t.ok(await goneFromStore(store, `uploads/${brokenId}`), 'a failed task\'s upload is deleted too')

  const after = await client.waitDone(await client.submitOk('detect', astronaut))
  t.equal(after.final.status, 'SUCCESS', 'still working after the bad input')
})
