// The gateway as its users meet it, against real Kafka, MinIO and the real stages: its endpoints,
// bad input, the WebSocket, several gateways, restarts and compaction. Keys, limits, the door and
// expiry: gateway-door.test.ts.
import t from 'tap'
import { codecs, type DetectionResultBody, type TaskStatusV1 } from '@faceblur/contracts'
import { badUploads } from '../support/bad-inputs.js'
import { astronaut, gatewayWithStages, MAX_UPLOAD, openSocket, seed } from '../support/gateway.js'
import { until } from '../support/wait.js'
import { connect } from '../support/status-watcher.js'
import { setTimeout as sleep } from 'node:timers/promises'

const { main, startGateway, stopAll } = await gatewayWithStages()
t.teardown(stopAll)
const client = main.client

t.test('every endpoint answers in its documented shape', async (t) => {
  const health = await fetch(`${client.base}/health`)
  t.same(await health.json(), { ok: true })
  const ready = await fetch(`${client.base}/ready`)
  t.equal(ready.status, 200)
  t.match(await ready.json(), { ok: true, kafka: true, s3: true, view: true })

  const detectId = await client.submitOk('detect', seed)
  const detect = await client.waitDone(detectId)
  t.same(Object.keys(detect.final).sort(), ['result', 'status'])
  t.same(Object.keys(detect.final.result as DetectionResultBody), ['face_1', 'face_2'])
  const conflict = await fetch(`${client.base}/results/${detectId}`)
  t.equal(conflict.status, 409, '/results of a detection task')

  const blurId = await client.submitOk('blur', astronaut)
  const blur = await client.waitDone(blurId)
  t.equal(blur.final.status, 'SUCCESS')
  const image = await fetch(`${client.base}/results/${blurId}`)
  t.equal(image.headers.get('content-type'), 'image/png', 'the input format is kept')
  t.equal(Buffer.from(await image.arrayBuffer()).toString('base64'), blur.final.result)

  const spec = await (await fetch(`${client.base}/docs/json`)).json() as { paths: Record<string, unknown> }
  t.same(Object.keys(spec.paths).sort(), ['/blur_faces', '/blur_video', '/detect_faces', '/health', '/ready', '/results/{task_id}', '/task_result/{task_id}'], 'OpenAPI lists the API')
  t.equal((await fetch(`${client.base}/docs/`)).status, 200, 'the docs UI is served')

  const metrics = await (await fetch(`${client.base}/metrics`)).text()
  t.match(metrics, /faceblur_tasks\{status="SUCCESS"\} [1-9]/)
  t.match(metrics, /faceblur_upload_bytes_total\{kind="detect"\} [1-9]/)
  t.match(metrics, /faceblur_task_duration_seconds_count\{kind="blur",status="SUCCESS"\} 1/)
  t.match(metrics, /faceblur_consumer_lag\{group="[^"]*detector",topic="[^"]*faceblur.tasks.submitted"\} \d+/)
  t.match(metrics, /faceblur_http_requests_total\{method="POST",route="\/detect_faces",status="200"\}/)
})

t.test(`bad input: each kind gets its clear error, and the service still works`, async (t) => {
  const table = await badUploads(seed, MAX_UPLOAD)
  t.ok(table.length >= 20, `${table.length} kinds of bad input`)
  for (const bad of table) {
    const { path, init } = await bad.request()
    const res = await fetch(`${client.base}${path}`, init)
    const body = await res.json().catch(() => ({})) as { error?: { code?: string, message?: string } }
    t.equal(res.status, bad.status, `${bad.name}: HTTP ${bad.status} (got ${res.status} ${JSON.stringify(body)})`)
    t.equal(body.error?.code, bad.code, `${bad.name}: ${bad.code}`)
    t.ok((body.error?.message ?? '').length > 0, `${bad.name}: a message for people`)
  }
  const { final } = await client.waitDone(await client.submitOk('detect', seed))
  t.equal(final.status, 'SUCCESS', 'a good upload still works afterwards')
  t.equal(main.svc.child.exitCode, null, 'the gateway did not crash')
})

t.test('WebSocket: current state first, every transition, several tasks, unknown ids answered', async (t) => {
  const sock = await openSocket(client.base)
  const before = await client.submitOk('blur', seed)
  sock.ws.send(JSON.stringify({ subscribe: [before] }))
  const final = await sock.next((m) => m.task_id === before && m.status === 'SUCCESS')
  const seen = sock.messages.filter((m) => m.task_id === before).map((m) => `${m.status}/${m.stage}`)
  t.equal(sock.messages.find((m) => m.task_id === before)?.type, 'status', 'the first message is the current state')
  t.ok(seen.at(-1) === 'SUCCESS/blurrer' && seen.includes('STARTED/detector'), `transitions as they happened: ${seen.join(' → ')}`)
  t.notOk(seen.includes('STARTED/blurrer'), 'the blurrer adds no second STARTED')
  t.equal(final.result_url, `/results/${before}`, 'a blur ends with a link to the image')

  // Subscribed after completion: one message, the final state with the same result as a poll.
  const done = await client.submitOk('detect', seed)
  const polled = await client.waitDone(done)
  const other = await client.submitOk('detect', astronaut)
  sock.ws.send(JSON.stringify({ subscribe: [done, other, '00000000-0000-4000-8000-000000000000', 'nonsense'] }))
  const late = await sock.next((m) => m.task_id === done)
  t.equal(late.status, 'SUCCESS')
  t.same(late.result, polled.final.result, 'same result as the poll endpoint')
  t.equal((await sock.next((m) => m.task_id === other && m.status === 'SUCCESS')).status, 'SUCCESS', 'a second task on the same socket')
  t.equal((await sock.next((m) => m.task_id === '00000000-0000-4000-8000-000000000000')).error?.code, 'FB_ERR_TASK_NOT_FOUND')
  t.equal((await sock.next((m) => m.task_id === 'nonsense')).error?.code, 'FB_ERR_TASK_ID_INVALID')
  sock.ws.send('this is not json')
  t.equal((await sock.next((m) => m.type === 'error' && m.task_id === undefined)).error?.code, 'FB_ERR_EVENT_INVALID', 'garbage is answered, not ignored')

  const closed = new Promise((resolve) => sock.ws.once('close', (code) => resolve(code)))
  sock.ws.close(1000)
  t.equal(await closed, 1000, 'clean close')
})

t.test('WebSocket heartbeat: the server pings', async (t) => {
  const fast = await startGateway({ FACEBLUR_WS_HEARTBEAT_S: '1' })
  const sock = await openSocket(fast.client.base)
  await sleep(2500)
  t.ok(sock.pings() >= 2, `${sock.pings()} pings in 2.5 s`)
  sock.ws.close()
})

t.test('two gateways answer the same for the same task', async (t) => {
  const second = await startGateway()
  const id = await client.submitOk('detect', seed)
  await client.waitDone(id)
  const b = await second.client.waitDone(id, 10_000)
  const a = await client.poll(id)
  t.same(b.final, a.body, 'identical answers')
})

t.test('a gateway restarted mid-task loses nothing', async (t) => {
  const first = await startGateway()
  const ids = await Promise.all([first.client.submitOk('blur', seed), first.client.submitOk('detect', seed)])
  t.equal(await first.svc.stop(), 0, 'graceful stop')
  const again = await startGateway({ PORT: String(first.port) })
  for (const id of ids) {
    const { final } = await again.client.waitDone(id)
    t.equal(final.status, 'SUCCESS', `${id} finished and is answered after the restart`)
  }
  t.ok(again.svc.lines.some((l) => l.includes('task view caught up')), 'the new gateway read the status topic before listening')
})

t.test('compaction-safe: the last status event of a task always states its state, and forgotten tasks get tombstones', async (t) => {
  const ns = `compact-${Date.now()}.`
  const watch = await connect(ns)
  t.teardown(watch.close) // also when an assertion throws: an open bus would keep the file alive
  const publish = async (e: TaskStatusV1): Promise<void> => { await watch.bus.publish([{ topic: watch.topics.status, key: e.task_id, value: codecs.taskStatus.encode(e) }]) }
  const lastOf = (id: string): TaskStatusV1 | undefined => watch.history.filter((e) => e.task_id === id).at(-1)
  const at = new Date().toISOString()
  const result = { kind: 'detect' as const, image: { width: 10, height: 10 }, faces: [], model: { name: 'yolov8n-face', sha256: 'a'.repeat(64), provider: 'cpu' } }
  const a = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
  const b = '1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
  // Before any gateway runs: a task ends, then a redelivery's stale events follow.
  await publish({ task_id: a, kind: 'detect', status: 'PENDING', stage: 'gateway', at })
  await publish({ task_id: a, kind: 'detect', status: 'SUCCESS', stage: 'detector', at, result })
  await publish({ task_id: a, kind: 'detect', status: 'STARTED', stage: 'detector', at })
  const gw = await startGateway({ FACEBLUR_NAMESPACE: ns })
  await until(async () => lastOf(a)?.status === 'SUCCESS', 30_000)
  t.pass('read at catch-up, a stale last event is restated')

  // Live: another task's end is followed by a different end.
  await publish({ task_id: b, kind: 'detect', status: 'SUCCESS', stage: 'detector', at, result })
  await publish({ task_id: b, kind: 'detect', status: 'FAILURE', stage: 'detector', at, error: { code: 'FB_ERR_SOURCE_MISSING', message: 'gone' } })
  await until(async () => watch.history.filter((e) => e.task_id === b).length >= 3 && lastOf(b)?.status === 'SUCCESS', 30_000)
  t.equal((await gw.client.poll(b)).body.status, 'SUCCESS', 'the first end stands')
  await sleep(2000) // no gateway restates a restatement
  t.equal(watch.history.filter((e) => e.task_id === b).length, 3, 'one restatement, no echo')
  t.ok(gw.svc.lines.some((l) => l.includes('restated tasks whose last status event was stale')), 'restatements are logged')

  // A gateway whose TTL is over forgets both and writes their tombstones.
  await startGateway({ FACEBLUR_NAMESPACE: ns, FACEBLUR_RESULT_TTL_HOURS: String(1 / 3600), FACEBLUR_VIEW_SWEEP_S: '1' })
  await until(async () => watch.tombstones.has(a) && watch.tombstones.has(b), 30_000)
  t.pass('tombstones for the forgotten tasks')
})
