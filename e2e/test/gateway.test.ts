// The gateway as its users meet it, against real Kafka, MinIO and the real stages.
import { request as httpRequest } from 'node:http'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import WebSocket from 'ws'
import { codecs, type DetectionResultBody, type TaskStatusV1 } from '@faceblur/contracts'
import { loadEnvConfig, SharedEnv, storeFromConfig } from '@faceblur/service-kit'
import { badUploads } from '../support/bad-inputs.js'
import { goneFromStore } from '../support/store.js'
import { until } from '../support/wait.js'
import { Client, freePort, start, type RunningService } from '../support/harness.js'
import { connect } from '../support/status-watcher.js'

const seed = readFileSync(join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg'))
const astronaut = readFileSync(join(import.meta.dirname, '../fixtures/astronaut.png'))
const MAX_UPLOAD = 2 * 1024 * 1024

const services: RunningService[] = []
const startGateway = async (env: Record<string, string> = {}): Promise<{ svc: RunningService, client: Client, port: number }> => {
  const port = env.PORT === undefined ? freePort() : Number(env.PORT)
  const svc = await start('gateway', { PORT: String(port), FACEBLUR_MAX_UPLOAD_BYTES: String(MAX_UPLOAD), ...env })
  services.push(svc)
  return { svc, client: new Client(`http://127.0.0.1:${port}`), port }
}
t.teardown(async () => { await Promise.all(services.map((s) => s.stop())) })

const readyBody = async (base: string): Promise<{ tasks: number, unfinished: number }> => await (await fetch(`${base}/ready`)).json() as { tasks: number, unfinished: number }

const main = await startGateway()
const stages = await Promise.all([start('detector'), start('blurrer')])
services.push(...stages)
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

interface WsMessage { type: string, task_id?: string, status?: string, stage?: string, result?: unknown, result_url?: string, error?: { code: string } }

async function openSocket (base: string, query = ''): Promise<{ ws: WebSocket, messages: WsMessage[], pings: () => number, next: (pred: (m: WsMessage) => boolean, ms?: number) => Promise<WsMessage> }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws${query}`)
  const messages: WsMessage[] = []
  let pings = 0
  ws.on('message', (raw) => messages.push(JSON.parse(raw.toString()) as WsMessage))
  ws.on('ping', () => { pings++ })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  return {
    ws,
    messages,
    pings: () => pings,
    async next (pred, ms = 60_000) {
      const deadline = Date.now() + ms
      while (Date.now() < deadline) {
        const hit = messages.find(pred)
        if (hit !== undefined) return hit
        await sleep(20)
      }
      throw new Error(`no matching WebSocket message in ${ms} ms; got ${JSON.stringify(messages)}`)
    }
  }
}

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

t.test('API keys: required when configured, and tasks are private to their key', async (t) => {
  const keyed = await startGateway({ FACEBLUR_API_KEYS: 'key-alice,key-bob' })
  const base = keyed.client.base
  const post = async (key?: string): Promise<Response> => {
    const form = new FormData()
    form.append('file', new Blob([seed]), 'p.jpg')
    return await fetch(`${base}/detect_faces`, { method: 'POST', body: form, headers: key === undefined ? {} : { 'x-api-key': key } })
  }
  const tasksBefore = (await readyBody(client.base)).tasks
  const none = await post()
  t.equal(none.status, 401)
  t.match(await none.json(), { error: { code: 'FB_ERR_AUTH_REQUIRED' } })
  const wrong = await post('key-mallory')
  t.equal(wrong.status, 401)
  t.match(await wrong.json(), { error: { code: 'FB_ERR_AUTH_INVALID' } })
  const { task_id: id } = await (await post('key-alice')).json() as { task_id: string }
  const asAlice = async (): Promise<Response> => await fetch(`${base}/task_result/${id}`, { headers: { authorization: 'Bearer key-alice' } })
  t.equal((await asAlice()).status, 200)
  const asBob = await fetch(`${base}/task_result/${id}`, { headers: { 'x-api-key': 'key-bob' } })
  t.equal(asBob.status, 404, 'another key sees nothing')
  t.equal((await fetch(`${base}/health`)).status, 200, 'probes need no key')
  // The same privacy on the other gateway, which learnt the owner from the status topic: once its
  // view holds one more task (no other task is being created now), it holds this one.
  await until(async () => (await readyBody(client.base)).tasks >= tasksBefore + 1, 30_000)
  t.equal((await fetch(`${client.base}/task_result/${id}`)).status, 404, 'an unkeyed gateway does not show a keyed task either')
})

t.test('rate limits apply to submissions per key, with Retry-After; polls are not limited', async (t) => {
  const limited = await startGateway({ FACEBLUR_NAMESPACE: `limited-${Date.now()}.`, FACEBLUR_RATE_LIMIT_PER_MINUTE: '5' })
  const codes: number[] = []
  let last: Response | undefined
  for (let i = 0; i < 7; i++) {
    last = await limited.client.submit('detect', seed)
    codes.push(last.status)
    if (i < 6) await last.body?.cancel()
  }
  t.same(codes, [200, 200, 200, 200, 200, 429, 429])
  t.match(await last!.json(), { error: { code: 'FB_ERR_RATE_LIMITED' } })
  t.ok(Number(last!.headers.get('retry-after')) > 0, 'Retry-After says when')
  const polls = await Promise.all(Array.from({ length: 30 }, async () => (await fetch(`${limited.client.base}/task_result/00000000-0000-4000-8000-000000000000`)).status))
  t.ok(polls.every((s) => s === 404), 'polls are answered, never refused')
})

t.test('the original clients\' polling (8 tasks, a poll every 100 ms) completes on the default limits', async (t) => {
  const defaults = await startGateway({ FACEBLUR_RATE_LIMIT_PER_MINUTE: '1200' })
  const ids = await Promise.all(Array.from({ length: 8 }, async () => await defaults.client.submitOk('detect', seed)))
  let polls = 0
  let refused = 0
  const started = Date.now()
  await Promise.all(ids.map(async (id) => {
    for (;;) {
      const res = await fetch(`${defaults.client.base}/task_result/${id}`)
      polls++
      if (res.status === 429) refused++
      const body = await res.json() as { status?: string }
      if (body.status === 'SUCCESS' || body.status === 'FAILURE' || Date.now() - started > 60_000) return
      await sleep(100)
    }
  }))
  t.comment(`polling: ${polls} polls in ${Date.now() - started} ms, ${refused} refused`)
  t.equal(refused, 0, 'no poll refused')
  for (const id of ids) t.equal((await client.poll(id)).body.status, 'SUCCESS')
})

t.test('the door is fair: one client\'s stalled uploads hold only its own share; another gets in at once (defaults)', async (t) => {
  const door = await startGateway({ FACEBLUR_NAMESPACE: `door-${Date.now()}.` })
  const boundary = 'xBOUNDARYx'
  // The stalling client comes from another loopback address: clients are told apart by IP without keys.
  const stall = (): { req: ReturnType<typeof httpRequest>, answer: Promise<{ status: number, body: string }> } => {
    const req = httpRequest({ port: door.port, host: '127.0.0.1', localAddress: '127.0.0.2', method: 'POST', path: '/detect_faces', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } })
    req.on('error', () => {})
    req.write(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`)
    req.write(seed.subarray(0, 1000)) // then nothing more
    const answer = new Promise<{ status: number, body: string }>((resolve) => {
      req.on('response', (res) => {
        let body = ''
        res.on('data', (c: Buffer) => { body += c.toString() })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
      })
      req.on('close', () => { resolve({ status: 0, body: '' }) })
    })
    return { req, answer }
  }
  const stalled = Array.from({ length: 16 }, stall)
  // The door answers the refused ones at once; the held ones only when the idle timeout (15 s) fires.
  let refusedAtOnce = 0
  for (const s of stalled) void s.answer.then((a) => { if (a.status === 429 && a.body.includes('FB_ERR_TOO_MANY_UPLOADS')) refusedAtOnce++ })
  await until(async () => refusedAtOnce >= 8, 10_000)
  t.equal(refusedAtOnce, 16 - 8, 'the stalling client holds its 8 slots; its other 8 uploads are refused 429 at once')

  let refusals = 0
  const res = await door.client.submit('detect', seed)
  if (res.status !== 200) refusals++
  t.equal(res.status, 200, 'another client\'s upload gets in at once while the first holds its cap')
  await res.body?.cancel()
  const answers = await Promise.all(stalled.map(async (s) => await s.answer))
  for (const { req } of stalled) req.destroy()
  t.comment(`fair door: the other client's upload got in with ${refusals} refusals; the stalling client's 16 were answered ${answers.map((a) => a.status).sort().join(' ')}`)
  t.equal(answers.filter((a) => a.status === 408 && a.body.includes('FB_ERR_UPLOAD_STALLED')).length, 8, 'each held stalled upload is answered 408 FB_ERR_UPLOAD_STALLED')
  const again = await door.client.submit('detect', seed)
  t.equal(again.status, 200, 'the stalled slots are free again')
  await again.body?.cancel()
})

t.test('API keys never reach the logs, and ?api_key= works only for the WebSocket', async (t) => {
  const keyed = await startGateway({ FACEBLUR_API_KEYS: 'key-carol-secret', LOG_LEVEL: 'debug' })
  const viaQuery = await fetch(`${keyed.client.base}/task_result/00000000-0000-4000-8000-000000000000?api_key=key-carol-secret`)
  t.equal(viaQuery.status, 401, 'not a way in for HTTP routes')
  const viaHeader = await fetch(`${keyed.client.base}/task_result/00000000-0000-4000-8000-000000000000`, { headers: { 'x-api-key': 'key-carol-secret' } })
  t.equal(viaHeader.status, 404)
  const ws = new WebSocket(`ws://127.0.0.1:${keyed.port}/ws?api_key=key-carol-secret`)
  await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })
  ws.close()
  await sleep(300)
  t.ok(keyed.svc.lines.some((l) => l.includes('api_key=[redacted]')), 'the WebSocket request is logged, redacted')
  t.notOk(keyed.svc.lines.some((l) => l.includes('key-carol-secret')), 'the key appears in no log line')
})

t.test('a full backlog answers 503 and too many uploads 429, both with Retry-After', async (t) => {
  // A namespace with no stages: nothing ever finishes there.
  const stalled = await startGateway({ FACEBLUR_NAMESPACE: `stalled-${Date.now()}.`, FACEBLUR_MAX_BACKLOG: '1', FACEBLUR_MAX_CONCURRENT_UPLOADS: '1' })
  t.equal((await stalled.client.submit('detect', seed)).status, 200)
  const full = await stalled.client.submit('detect', seed)
  t.equal(full.status, 503)
  t.match(await full.json(), { error: { code: 'FB_ERR_BACKLOG_FULL' } })
  t.ok(full.headers.get('retry-after') !== null)

  const busy = await startGateway({ FACEBLUR_NAMESPACE: `busy-${Date.now()}.`, FACEBLUR_MAX_CONCURRENT_UPLOADS: '1' })
  // Hold one upload open (headers and half the body sent), then try another.
  const boundary = 'xBOUNDARYx'
  const slow = httpRequest({ port: busy.port, method: 'POST', path: '/detect_faces', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } })
  slow.on('error', () => {})
  slow.write(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`)
  slow.write(seed.subarray(0, 1000))
  await sleep(300)
  const second = await busy.client.submit('detect', seed)
  t.equal(second.status, 429)
  t.match(await second.json(), { error: { code: 'FB_ERR_TOO_MANY_UPLOADS' } })
  t.ok(second.headers.get('retry-after') !== null)
  slow.end(Buffer.concat([seed.subarray(1000), Buffer.from(`\r\n--${boundary}--\r\n`)]))
  const finished = await new Promise<number>((resolve) => slow.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0) }))
  t.equal(finished, 200, 'the held upload completes normally')
  t.equal((await busy.client.submit('detect', seed)).status, 200, 'and the door opens again')
})

t.test('an unfinished task past the maximum age ends FB_ERR_EXPIRED: its upload deleted, its backlog slot freed, every gateway agrees', async (t) => {
  // A namespace with no stages: nothing would ever finish there.
  const ns = `expiry-${Date.now()}.`
  const env = { FACEBLUR_NAMESPACE: ns, FACEBLUR_TASK_MAX_AGE_HOURS: String(3 / 3600), FACEBLUR_VIEW_SWEEP_S: '1', FACEBLUR_MAX_BACKLOG: '1' }
  const gw = await startGateway(env)
  const id = await gw.client.submitOk('detect', seed)
  t.equal((await gw.client.submit('detect', seed)).status, 503, 'the backlog (1) is full')
  const { final, seen } = await gw.client.waitDone(id, 30_000)
  t.same(seen, ['PENDING', 'FAILURE'])
  t.equal(final.error?.code, 'FB_ERR_EXPIRED')
  t.equal((await readyBody(gw.client.base)).unfinished, 0, 'nothing left unfinished')
  const store = storeFromConfig(loadEnvConfig(SharedEnv, { ...process.env, FACEBLUR_NAMESPACE: ns }))
  t.ok(await goneFromStore(store, `uploads/${id}`), 'its upload is deleted')
  const again = await gw.client.submit('detect', seed)
  t.equal(again.status, 200, 'a new upload is accepted')
  await again.body?.cancel()
  const later = await startGateway({ ...env, FACEBLUR_TASK_MAX_AGE_HOURS: '6' })
  t.equal((await later.client.poll(id)).body.error?.code, 'FB_ERR_EXPIRED', 'a gateway started later reads the same end from the topic')
  t.ok(gw.svc.lines.some((l) => l.includes('FB_ERR_EXPIRED')), 'the expiry is logged')
})

t.test('a keyed task stays private after a gateway restart when its PENDING has aged out of the topic', async (t) => {
  const keys = { FACEBLUR_API_KEYS: 'key-alice,key-bob' }
  // Alice's owner hash, as the gateway records it on the topic.
  const nsA = `owner-a-${Date.now()}.`
  const watchA = await connect(nsA)
  const gwA = await startGateway({ FACEBLUR_NAMESPACE: nsA, ...keys })
  const form = new FormData()
  form.append('file', new Blob([seed]), 'p.jpg')
  const { task_id: first } = await (await fetch(`${gwA.client.base}/detect_faces`, { method: 'POST', body: form, headers: { 'x-api-key': 'key-alice' } })).json() as { task_id: string }
  await until(async () => watchA.statuses.get(first) !== undefined, 30_000)
  const owner = watchA.statuses.get(first)!.owner
  await watchA.close()
  t.ok(owner !== undefined && owner.length >= 16, 'the PENDING carries an owner hash, not the key')
  t.notOk(owner?.includes('alice'))

  // Another topic where a task's PENDING is gone: only its STARTED and SUCCESS remain.
  const nsB = `owner-b-${Date.now()}.`
  const watchB = await connect(nsB)
  const id = '7c0e8f0a-4d2b-4c1e-9a3f-5b6d7e8f9a0b'
  const at = new Date().toISOString()
  const events: TaskStatusV1[] = [
    { task_id: id, kind: 'detect', status: 'STARTED', stage: 'detector', at, owner },
    { task_id: id, kind: 'detect', status: 'SUCCESS', stage: 'detector', at, owner, result: { kind: 'detect', image: { width: 10, height: 10 }, faces: [], model: { name: 'yolov8n-face', sha256: 'a'.repeat(64), provider: 'cpu' } } }
  ]
  await watchB.bus.publish(events.map((e) => ({ topic: watchB.topics.status, key: id, value: codecs.taskStatus.encode(e) })))
  await watchB.close()
  const keyed = await startGateway({ FACEBLUR_NAMESPACE: nsB, ...keys })
  const as = async (base: string, key?: string): Promise<number> => (await fetch(`${base}/task_result/${id}`, { headers: key === undefined ? {} : { 'x-api-key': key } })).status
  t.equal(await as(keyed.client.base, 'key-alice'), 200, 'its owner sees it')
  t.equal(await as(keyed.client.base, 'key-bob'), 404, 'another key does not')
  const open = await startGateway({ FACEBLUR_NAMESPACE: nsB })
  t.equal(await as(open.client.base), 404, 'nor does a gateway without keys')
})

t.test('compaction-safe: the last status event of a task always states its state, and forgotten tasks get tombstones', async (t) => {
  const ns = `compact-${Date.now()}.`
  const watch = await connect(ns)
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
  await watch.close()
})
