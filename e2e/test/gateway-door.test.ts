// The gateway's door, against real Kafka, MinIO and the real stages: API keys, rate limits, the
// original clients' polling, the fair share of upload slots, the backlog, and unfinished tasks
// expiring. The rest of the gateway: gateway.test.ts.
import { request as httpRequest } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import WebSocket from 'ws'
import { codecs, type TaskStatusV1 } from '@faceblur/contracts'
import { loadEnvConfig, SharedEnv, storeFromConfig } from '@faceblur/service-kit'
import { gatewayWithStages, readyBody, seed } from '../support/gateway.js'
import { goneFromStore } from '../support/store.js'
import { until } from '../support/wait.js'
import { connect } from '../support/status-watcher.js'

const { main, startGateway, stopAll } = await gatewayWithStages()
t.teardown(stopAll)
const client = main.client

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
  t.teardown(watchA.close) // also when an assertion throws: an open bus would keep the file alive
  const gwA = await startGateway({ FACEBLUR_NAMESPACE: nsA, ...keys })
  const form = new FormData()
  form.append('file', new Blob([seed]), 'p.jpg')
  const { task_id: first } = await (await fetch(`${gwA.client.base}/detect_faces`, { method: 'POST', body: form, headers: { 'x-api-key': 'key-alice' } })).json() as { task_id: string }
  await until(async () => watchA.statuses.get(first) !== undefined, 30_000)
  const owner = watchA.statuses.get(first)!.owner
  t.ok(owner !== undefined && owner.length >= 16, 'the PENDING carries an owner hash, not the key')
  t.notOk(owner?.includes('alice'))

  // Another topic where a task's PENDING is gone: only its STARTED and SUCCESS remain.
  const nsB = `owner-b-${Date.now()}.`
  const watchB = await connect(nsB)
  t.teardown(watchB.close)
  const id = '7c0e8f0a-4d2b-4c1e-9a3f-5b6d7e8f9a0b'
  const at = new Date().toISOString()
  const events: TaskStatusV1[] = [
    { task_id: id, kind: 'detect', status: 'STARTED', stage: 'detector', at, owner },
    { task_id: id, kind: 'detect', status: 'SUCCESS', stage: 'detector', at, owner, result: { kind: 'detect', image: { width: 10, height: 10 }, faces: [], model: { name: 'yolov8n-face', sha256: 'a'.repeat(64), provider: 'cpu' } } }
  ]
  await watchB.bus.publish(events.map((e) => ({ topic: watchB.topics.status, key: id, value: codecs.taskStatus.encode(e) })))
  const keyed = await startGateway({ FACEBLUR_NAMESPACE: nsB, ...keys })
  const as = async (base: string, key?: string): Promise<number> => (await fetch(`${base}/task_result/${id}`, { headers: key === undefined ? {} : { 'x-api-key': key } })).status
  t.equal(await as(keyed.client.base, 'key-alice'), 200, 'its owner sees it')
  t.equal(await as(keyed.client.base, 'key-bob'), 404, 'another key does not')
  const open = await startGateway({ FACEBLUR_NAMESPACE: nsB })
  t.equal(await as(open.client.base), 404, 'nor does a gateway without keys')
})
