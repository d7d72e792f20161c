// The blurrer stage on real Kafka and MinIO, fed directly with `faces.detected` events, and the
// gateway's blur options end to end.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import { codecs, type FacesDetectedV1 } from '@faceblur/contracts'
import { Client, freePort, namespace, start, type RunningService } from '../support/harness.js'
import { gray, meanAbsDiff } from '../support/pixels.js'
import { connect } from '../support/status-watcher.js'

const seed = readFileSync(join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg'))
const FACES: Array<[number, number, number, number]> = [[232, 170, 622, 697], [1045, 241, 1466, 801]]
const pipeline = await connect(namespace)
const port = freePort()
const client = new Client(`http://127.0.0.1:${port}`)
const services: RunningService[] = []
t.before(async () => {
  services.push(...await Promise.all([start('blurrer'), start('detector'), start('gateway', { PORT: String(port) })]))
})
t.teardown(async () => {
  await Promise.all(services.map((s) => s.stop()))
  await pipeline.close()
})

/** What the detector would publish for `image` with `faces`, its original stored first. */
async function detected (image: Buffer, faces: Array<[number, number, number, number]>, store = true): Promise<FacesDetectedV1> {
  const taskId = randomUUID()
  const key = `uploads/${taskId}`
  if (store) await pipeline.store.put(key, image, 'image/jpeg')
  const meta = await sharp(image).metadata()
  return {
    task_id: taskId,
    kind: 'blur',
    source: { bucket: pipeline.store.bucket, key, content_type: 'image/jpeg', bytes: image.length },
    image: { width: meta.width!, height: meta.height! },
    faces: faces.map((box) => ({ box, score: 0.9 })),
    model: { name: 'yolov8n-face', sha256: 'test', provider: 'cpu' },
    detected_at: new Date().toISOString()
  }
}
const publish = async (events: FacesDetectedV1[]): Promise<void> => {
  await pipeline.bus.publish(events.map((e) => ({ topic: pipeline.topics.facesDetected, key: e.task_id, value: codecs.facesDetected.encode(e) })))
}
const finished = (s: { status: string }): boolean => s.status === 'SUCCESS' || s.status === 'FAILURE'

t.test('a redelivered event rewrites the same result; the task stays SUCCESS', async (t) => {
  const event = await detected(seed, FACES)
  await publish([event])
  await pipeline.waitFor([event.task_id], finished)
  t.equal(pipeline.statuses.get(event.task_id)?.status, 'SUCCESS')
  const first = await pipeline.store.get(`results/${event.task_id}`)
  await pipeline.store.put(event.source.key, seed, 'image/jpeg') // as if the delete had not happened
  await publish([event])
  // The blurrer deletes the original after publishing: its disappearing again proves the
  // redelivered event was processed all the way through.
  const deadline = Date.now() + 30_000
  let reprocessed = false
  while (!reprocessed && Date.now() < deadline) {
    reprocessed = await pipeline.store.get(event.source.key).then(() => false, () => true)
    if (!reprocessed) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(reprocessed, 'the redelivered event was processed')
  t.ok((await pipeline.store.get(`results/${event.task_id}`)).equals(first), 'the same bytes under the same key')
  t.equal(pipeline.statuses.get(event.task_id)?.status, 'SUCCESS')
})

t.test('no faces: SUCCESS with the image re-encoded', async (t) => {
  const event = await detected(seed, [])
  await publish([event])
  await pipeline.waitFor([event.task_id], finished)
  const s = pipeline.statuses.get(event.task_id)!
  t.equal(s.status, 'SUCCESS')
  const diff = meanAbsDiff(await gray(seed), await gray(await pipeline.store.get(`results/${event.task_id}`)), [0, 0, 1634, 1000])
  t.ok(diff < 2, `unchanged picture (mean |Δ| ${diff.toFixed(2)})`)
})

t.test('a missing original fails the task; an invalid event goes to the DLQ', async (t) => {
  const missing = await detected(seed, FACES, false)
  const invalid = { ...(await detected(seed, FACES)), faces: [{ box: [1, 2, 3], score: 2 }] }
  await publish([missing])
  await pipeline.bus.publish([{ topic: pipeline.topics.facesDetected, key: invalid.task_id, value: Buffer.from(JSON.stringify(invalid)) }])
  await pipeline.waitFor([missing.task_id, invalid.task_id], finished)
  t.match(pipeline.statuses.get(missing.task_id), { status: 'FAILURE', stage: 'blurrer', error: { code: 'FB_ERR_SOURCE_MISSING' } })
  t.match(pipeline.statuses.get(invalid.task_id), { status: 'FAILURE', stage: 'blurrer', error: { code: 'FB_ERR_EVENT_INVALID' } })
  t.ok(pipeline.deadLetters.some((d) => d.task_id === invalid.task_id && d.stage === 'blurrer'), 'dead-lettered with the stage')
  t.ok(services.every((s) => s.child.exitCode === null), 'no stage crashed')
})

t.test('blur options from /blur_faces query parameters reach the blurrer', async (t) => {
  const res = await client.submit('blur', seed, 'photo.jpg', '?mode=solid&shape=rectangle&padding=0.1')
  t.equal(res.status, 200)
  const { task_id: id } = await res.json() as { task_id: string }
  const { final } = await client.waitDone(id)
  t.equal(final.status, 'SUCCESS')
  const out = await gray(Buffer.from(final.result as string, 'base64'))
  const [x1, y1, x2, y2] = FACES[0]!
  let sum = 0
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) sum += out.data[y * out.width + x]!
  t.ok(sum / ((x2 - x1) * (y2 - y1)) < 12, 'a solid black rectangle covers the face')

  const bad = await client.submit('blur', seed, 'photo.jpg', '?mode=swirl')
  t.equal(bad.status, 400)
  t.match(await bad.json(), { error: { code: 'FB_ERR_REQUEST_INVALID', message: /mode/ } })
})
