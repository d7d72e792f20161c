// The routes in process with app.inject: the real app on the real local Kafka and MinIO (`npm test`
// starts them), in a namespace of its own with no stages; the test puts states in the task view
// itself, so every answer shape is checked fast. The whole service is tested through its port in e2e/test/gateway.test.ts.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { resultKey, uploadKey, type TaskStatusV1 } from '@faceblur/contracts'
import { createLogger } from '@faceblur/service-kit'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

const seed = readFileSync(join(import.meta.dirname, '../../../../shared/fixtures/seed_test.jpg'))
const config = loadConfig({ ...process.env, FACEBLUR_NAMESPACE: `routes-${randomUUID().slice(0, 8)}.`, LOG_LEVEL: 'warn' })
const app = await buildApp({ config, apiKeys: [], logger: createLogger('gateway-routes-test', 'warn') })
await app.ready()
t.teardown(async () => { await app.close() })
const { bus, store, view, topics } = app

const model = { name: 'yolov8n-face', sha256: 'a'.repeat(64), provider: 'cpu' }
const status = (over: Partial<TaskStatusV1> & Pick<TaskStatusV1, 'status'>): TaskStatusV1 =>
  ({ task_id: randomUUID(), kind: 'detect', stage: 'detector', at: new Date().toISOString(), ...over })

function multipart (file: Buffer, field = 'file'): { payload: Buffer, headers: Record<string, string> } {
  const boundary = `----faceblur${randomUUID()}`
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${field}"; filename="p.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`)
  ])
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

t.test('POST /detect_faces: the image is stored, PENDING answered at once, and the events are on their topics', async (t) => {
  const res = await app.inject({ method: 'POST', url: '/detect_faces', ...multipart(seed) })
  t.equal(res.statusCode, 200)
  const { task_id: id } = res.json<{ task_id: string }>()
  t.same((await store.get(uploadKey(id))).length, seed.length, 'the upload is in the bucket')
  const poll = await app.inject({ method: 'GET', url: `/task_result/${id}` })
  t.same(poll.json(), { status: 'PENDING' })
  const ends = await bus.offsets(topics.submitted)
  t.ok(ends.some((p) => p.high > p.low), 'the submitted event is on its topic')
})

t.test('POST /blur_faces: options are validated against the one set of blur enums', async (t) => {
  const bad = await app.inject({ method: 'POST', url: '/blur_faces?mode=swirl', ...multipart(seed) })
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { error: { code: 'FB_ERR_REQUEST_INVALID' } })
  const good = await app.inject({ method: 'POST', url: '/blur_faces?mode=pixelate&shape=rectangle&padding=0.1', ...multipart(seed) })
  t.equal(good.statusCode, 200)
})

t.test('uploads that are not a usable image get their clear error', async (t) => {
  const missing = await app.inject({ method: 'POST', url: '/detect_faces', ...multipart(seed, 'image') })
  t.equal(missing.statusCode, 400)
  t.match(missing.json(), { error: { code: 'FB_ERR_UPLOAD_MISSING_FILE' } })
  const text = await app.inject({ method: 'POST', url: '/detect_faces', ...multipart(Buffer.from('hello, not an image')) })
  t.equal(text.statusCode, 415)
  t.match(text.json(), { error: { code: 'FB_ERR_IMAGE_UNSUPPORTED' } })
  const cut = await app.inject({ method: 'POST', url: '/detect_faces', ...multipart(seed.subarray(0, seed.length / 2)) })
  t.equal(cut.statusCode, 422)
  t.match(cut.json(), { error: { code: 'FB_ERR_IMAGE_UNDECODABLE' } })
})

t.test('GET /task_result answers every state in the original shapes', async (t) => {
  const detected = status({ status: 'SUCCESS', result: { kind: 'detect', image: { width: 10, height: 10 }, faces: [{ box: [1, 2, 5, 6], score: 0.9 }], model } })
  const failed = status({ status: 'FAILURE', error: { code: 'FB_ERR_SOURCE_MISSING', message: 'gone' } })
  const running = status({ status: 'STARTED' })
  for (const s of [detected, failed, running]) view.apply(s)
  t.same((await app.inject(`/task_result/${detected.task_id}`)).json(), { status: 'SUCCESS', result: { face_1: { facial_area: [1, 2, 5, 6] } } })
  t.same((await app.inject(`/task_result/${failed.task_id}`)).json(), { status: 'FAILURE', error: { code: 'FB_ERR_SOURCE_MISSING', message: 'gone' } })
  t.same((await app.inject(`/task_result/${running.task_id}`)).json(), { status: 'STARTED' })
  const unknown = await app.inject(`/task_result/${randomUUID()}`)
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { error: { code: 'FB_ERR_TASK_NOT_FOUND' } })
  const invalid = await app.inject('/task_result/not-a-uuid')
  t.equal(invalid.statusCode, 400)
  t.match(invalid.json(), { error: { code: 'FB_ERR_TASK_ID_INVALID' } })
})

t.test('GET /results: the blurred bytes with their type for a blur task; 409 otherwise', async (t) => {
  const id = randomUUID()
  await store.put(resultKey(id), seed, 'image/jpeg')
  view.apply(status({ task_id: id, kind: 'blur', stage: 'blurrer', status: 'SUCCESS', result: { kind: 'blur', object: { bucket: store.bucket, key: resultKey(id), content_type: 'image/jpeg', bytes: seed.length }, faces: [], model } }))
  const res = await app.inject(`/results/${id}`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'image/jpeg')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.rawPayload.length, seed.length)
  const poll = (await app.inject(`/task_result/${id}`)).json<{ status: string, result: string }>()
  t.equal(Buffer.from(poll.result, 'base64').length, seed.length, 'the poll carries the same image in base64')
  const detect = status({ status: 'SUCCESS', result: { kind: 'detect', image: { width: 1, height: 1 }, faces: [], model } })
  view.apply(detect)
  const notBlur = await app.inject(`/results/${detect.task_id}`)
  t.equal(notBlur.statusCode, 409)
  t.match(notBlur.json(), { error: { code: 'FB_ERR_RESULT_NOT_READY' } })
})

t.test('probes, metrics, docs and unknown routes', async (t) => {
  t.same((await app.inject('/health')).json(), { ok: true })
  const ready = await app.inject('/ready')
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { ok: true, kafka: true, s3: true, view: true, tasks: Number, unfinished: Number })
  const metrics = await app.inject('/metrics')
  t.match(metrics.body, /faceblur_tasks\{status="SUCCESS"\} \d+/)
  t.match(metrics.body, /faceblur_consumer_lag\{group="[^"]+",topic="[^"]+"\} \d+/)
  const docs = await app.inject('/docs/json')
  t.equal(docs.statusCode, 200)
  t.ok(docs.json<{ paths: Record<string, unknown> }>().paths['/blur_faces'] !== undefined, 'OpenAPI lists the routes')
  const none = await app.inject('/nowhere')
  t.equal(none.statusCode, 404)
  t.match(none.json(), { error: { code: 'FB_ERR_ROUTE_NOT_FOUND' } })
})

t.test('starting may take as long as the catch-up is allowed to (fastify\'s plugin timeout is 10 s by default)', async (t) => {
  t.ok(app.initialConfig.pluginTimeout! > config.FACEBLUR_VIEW_CATCHUP_S * 1000, 'a million tasks take ~45 s to read')
})

t.test('closing the app stops the feed and the bus', async (t) => {
  const other = await buildApp({ config, apiKeys: [], logger: createLogger('gateway-routes-test', 'warn') })
  await other.ready()
  t.equal(other.viewCaughtUp(), true, 'ready means caught up')
  await other.close()
  t.equal(other.viewCaughtUp(), false, 'the feed has stopped')
})
