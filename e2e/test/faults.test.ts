// The fault suite: routine faults with tasks in flight, against the real Kafka, MinIO and model.
// Each case ends by counting the accepted tasks that were lost or stuck (must be 0) and by
// proving the stages still take new work. The counts are printed as `# fault …` lines.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import sharp from 'sharp'
import t, { type Test } from 'tap'

type Tap = Test
import { codecs, namesFor, uploadKey, type TaskStatusV1 } from '@faceblur/contracts'
import { Client, freePort, namespace, start, type RunningService } from '../support/harness.js'
import { skipUnlessLocal, startKafka, startMinio, stopKafka, stopMinio } from '../support/infra-control.js'
import { connect, submitDirect } from '../support/status-watcher.js'
import { until } from '../support/wait.js'

const seed = readFileSync(join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg'))
// A small photo for the mass cases: the faults are the point, not the model's time.
const small = await sharp(seed).resize({ width: 640 }).jpeg({ quality: 85 }).toBuffer()
const pipeline = await connect(namespace)
const gatewayPort = freePort()
const client = new Client(`http://127.0.0.1:${gatewayPort}`)
const health = { detector: freePort(), blurrer: freePort() }
// A short session makes the old failure (a member dropped while a long task runs) certain.
const stageEnv = { FACEBLUR_KAFKA_SESSION_TIMEOUT_S: '6' }
const services: Partial<Record<'gateway' | 'detector' | 'blurrer', RunningService>> = {}

async function startStage (name: 'detector' | 'blurrer', env: Record<string, string> = {}): Promise<RunningService> {
  const port = name === 'detector' ? health.detector : health.blurrer
  const svc = await start(name, { ...stageEnv, [`FACEBLUR_${name.toUpperCase()}_HEALTH_PORT`]: String(port), ...env })
  services[name] = svc
  return svc
}

t.before(async () => {
  await Promise.all([startStage('detector'), startStage('blurrer')])
  services.gateway = await start('gateway', { PORT: String(gatewayPort) })
})
t.teardown(async () => {
  await Promise.all(Object.values(services).map(async (s) => await s?.stop()))
  await pipeline.close()
  // kafkajs keeps reconnecting a client that lived through a broker restart even after it was
  // disconnected (tulios/kafkajs#1147), which would keep this finished file alive for ever. An
  // unref'd timer fires only if something still holds the process: then it ends it.
  setTimeout(() => { process.exit() }, 5000).unref()
})

const finished = (s: TaskStatusV1): boolean => s.status === 'SUCCESS' || s.status === 'FAILURE'

/** Waits for every task to finish, then counts: lost (never seen) and stuck (seen, not finished). */
async function settle (t: Tap, fault: string, ids: string[], timeoutMs = 120_000): Promise<Map<string, number>> {
  try { await pipeline.waitFor(ids, finished, timeoutMs) } catch { /* counted below */ }
  const by = new Map<string, number>()
  let lost = 0
  let stuck = 0
  let neverQueued = 0
  for (const id of ids) {
    const s = pipeline.statuses.get(id)
    if (s === undefined) lost++
    else if (!finished(s) && !pipeline.submitted.has(id)) neverQueued++
    else if (!finished(s)) stuck++
    else {
      const label = s.status === 'SUCCESS' ? 'SUCCESS' : `FAILURE:${s.error?.code}`
      by.set(label, (by.get(label) ?? 0) + 1)
    }
  }
  t.comment(`fault ${fault}: accepted=${ids.length} ${[...by].map(([k, n]) => `${k}=${n}`).join(' ')} lost=${lost} stuck=${stuck} never-queued=${neverQueued}`)
  if (lost + stuck + neverQueued > 0) {
    // What the gateway's view and the stages say, for whoever reads a failure.
    const unfinished = ids.filter((id) => { const s = pipeline.statuses.get(id); return s === undefined || !finished(s) }).slice(0, 3)
    for (const id of unfinished) t.comment(`unfinished ${id}: watcher ${pipeline.statuses.get(id)?.status}, on submitted topic ${pipeline.submitted.has(id)}, gateway ${JSON.stringify((await client.poll(id)).body).slice(0, 200)}`)
    for (const svc of Object.values(services)) t.comment(`${svc!.name} last lines:\n${svc!.lines.slice(-12).join('\n').slice(0, 4000)}`)
  }
  t.equal(lost, 0, `${fault}: no accepted task lost`)
  t.equal(stuck, 0, `${fault}: no accepted task stuck`)
  // A task answered 200 whose `submitted` event is not on the topic: the producer lost an
  // acknowledged message (kafkajs's idempotent producer did, after broker restarts; see bus.ts).
  t.equal(neverQueued, 0, `${fault}: every accepted task reached the submitted topic`)
  return by
}

/** The stages still serve: a fresh blur task (detector → blurrer) succeeds. */
async function stillServing (t: Tap, fault: string): Promise<void> {
  const id = await submitDirect(pipeline, 'blur', small)
  await pipeline.waitFor([id], finished, 120_000)
  t.equal(pipeline.statuses.get(id)?.status, 'SUCCESS', `${fault}: a new task succeeds afterwards`)
}


/** A stage's counter from its /metrics, for the input it consumes (`submitted`, `facesDetected`…). */
async function stageCounter (port: number, name: string, consumes: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const line = new RegExp(`${name}\\{consumes="${consumes}"\\} (\\d+)`).exec(text)
  if (line === null) throw new Error(`${name} for ${consumes} is not in the metrics`)
  return Number(line[1])
}

const ready = async (port: number): Promise<number> => {
  try { return (await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(5000) })).status } catch { return 0 }
}

async function waitForReady (port: number, want: number, withinMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < withinMs) {
    if (await ready(port) === want) return Date.now() - started
    await sleep(250)
  }
  return -1
}

t.test('a 59 MP photo beside ordinary ones: membership kept, everything done, and a deadline ends what overruns', async (t) => {
  const tile = await sharp(seed).raw().toBuffer({ resolveWithObject: true })
  const { width, height } = tile.info
  // The fixture 6 × 6: 9804 × 6000 (59 MP), within the default pixel and byte limits.
  const big = await sharp({ create: { width: width * 6, height: height * 6, channels: 3, background: '#808080' } })
    .composite(Array.from({ length: 36 }, (_, i) => ({ input: tile.data, raw: tile.info, left: (i % 6) * width, top: Math.floor(i / 6) * height })))
    .jpeg({ quality: 80 }).toBuffer()
  t.comment(`big photo: ${width * 6}×${height * 6}, ${(big.length / 1e6).toFixed(1)} MB`)
  const rebalancesBefore = await stageCounter(health.detector, 'faceblur_stage_consumer_rebalances', 'submitted')
  const bigId = await submitDirect(pipeline, 'detect', big)
  const others = await Promise.all(Array.from({ length: 6 }, async () => await submitDirect(pipeline, 'detect', small)))
  const by = await settle(t, 'huge-photo', [bigId, ...others])
  t.equal(by.get('SUCCESS'), 1 + others.length, 'every task, the big photo and the ordinary ones, succeeds')
  t.equal(pipeline.statuses.get(bigId)?.status, 'SUCCESS', 'the big photo is detected')
  const bigResult = pipeline.statuses.get(bigId)?.result
  t.ok((bigResult?.kind === 'detect' ? bigResult.faces.length : 0) > 36, 'with its faces')
  t.equal(services.detector!.child.exitCode, null, 'the detector is still running')
  t.notOk(services.detector!.lines.some((l) => l.includes('consumer stopped; restarting')), 'its consumer never crashed')
  const rebalances = await stageCounter(health.detector, 'faceblur_stage_consumer_rebalances', 'submitted') - rebalancesBefore
  t.comment(`fault huge-photo: ${rebalances} rebalances of the detector's group while the 59 MP photo ran`)
  t.equal(rebalances, 0, 'membership kept: the detector\'s group never rebalanced while the big photo ran')

  // The same photo under a 1 s deadline: FAILURE with its own code, and the stage moves on.
  await services.detector!.stop()
  await startStage('detector', { FACEBLUR_TASK_TIMEOUT_S: '1' })
  const late = await submitDirect(pipeline, 'detect', big)
  const after = await submitDirect(pipeline, 'detect', small)
  await settle(t, 'deadline', [late, after])
  t.match(pipeline.statuses.get(late), { status: 'FAILURE', error: { code: 'FB_ERR_TASK_TIMEOUT' } })
  t.equal(pipeline.statuses.get(after)?.status, 'SUCCESS', 'the next task is served')
  await services.detector!.stop()
  await startStage('detector')
})

t.test('poison events: each is dead-lettered and fails its task, the stages survive them and a restart', async (t) => {
  const victim = randomUUID()
  await pipeline.store.put(`results/${victim}`, small, 'image/jpeg')
  const oversize = randomUUID()
  await pipeline.store.put(uploadKey(oversize), Buffer.alloc(26 * 1024 * 1024 + 1, 0xff), 'image/jpeg') // over the 25 MiB limit
  const event = (taskId: string, source: Record<string, unknown> = {}): Buffer => Buffer.from(JSON.stringify({
    task_id: taskId, kind: 'detect', submitted_at: new Date().toISOString(),
    source: { bucket: pipeline.store.bucket, key: uploadKey(taskId), content_type: 'image/jpeg', bytes: small.length, ...source }
  }))
  const ids = { schema: randomUUID(), forged: randomUUID(), bucket: randomUUID(), missing: randomUUID(), claimsHuge: randomUUID(), blurForged: randomUUID() }
  const poison: Array<[string, string, Buffer, string?]> = [
    ['nul-bytes', 'nul', Buffer.alloc(200_000)],
    ['not-json', 'junk', Buffer.from('{"task_id": oops')],
    ['schema-invalid', ids.schema, Buffer.from(JSON.stringify({ task_id: ids.schema, kind: 'paint', source: {}, submitted_at: 'now' }))],
    ['forged-key', ids.forged, event(ids.forged, { key: `results/${victim}` })],
    ['foreign-bucket', ids.bucket, event(ids.bucket, { bucket: 'someone-elses' })],
    ['missing-object', ids.missing, event(ids.missing)],
    ['claims-oversize', ids.claimsHuge, event(ids.claimsHuge, { bytes: 1e9 })],
    ['oversize-object', oversize, event(oversize)],
    ['near-broker-limit', 'big-junk', Buffer.from(`{"task_id":"${randomUUID()}","pad":"${'x'.repeat(900_000)}"}`)]
  ]
  const before = pipeline.deadLetters.length
  for (const [, key, value] of poison) await pipeline.bus.publish([{ topic: pipeline.topics.submitted, key, value }])
  // The blurrer's input too: a forged source on faces.detected.
  await pipeline.bus.publish([{
    topic: pipeline.topics.facesDetected,
    key: ids.blurForged,
    value: codecs.facesDetected.encode({
      task_id: ids.blurForged, kind: 'blur', source: { bucket: pipeline.store.bucket, key: `results/${victim}`, content_type: 'image/jpeg', bytes: small.length },
      image: { width: 640, height: 392 }, faces: [], model: { name: 'x', sha256: 'x', provider: 'cpu' }, detected_at: new Date().toISOString()
    })
  }])
  const good = await submitDirect(pipeline, 'blur', small)
  const named = [ids.schema, ids.forged, ids.bucket, ids.missing, ids.claimsHuge, oversize, ids.blurForged]
  await settle(t, 'poison', [...named, good])
  const expected: Record<string, string> = {
    [ids.schema]: 'FB_ERR_EVENT_INVALID', [ids.forged]: 'FB_ERR_SOURCE_REFUSED', [ids.bucket]: 'FB_ERR_SOURCE_REFUSED', [ids.missing]: 'FB_ERR_SOURCE_MISSING',
    [ids.claimsHuge]: 'FB_ERR_SOURCE_REFUSED', [oversize]: 'FB_ERR_SOURCE_REFUSED', [ids.blurForged]: 'FB_ERR_SOURCE_REFUSED'
  }
  for (const [id, code] of Object.entries(expected)) t.match(pipeline.statuses.get(id), { status: 'FAILURE', error: { code } }, code)
  t.equal(pipeline.statuses.get(good)?.status, 'SUCCESS', 'a good task behind the poison succeeds')
  t.same(await pipeline.store.get(`results/${victim}`), small, 'the forged key did not touch the other task\'s result')

  // One letter per refused event, by its topic and key: the missing object is a FAILURE, not a letter.
  const refused = [
    ...poison.filter(([name]) => name !== 'missing-object').map(([, key]) => `${pipeline.topics.submitted}/${key}`),
    `${pipeline.topics.facesDetected}/${ids.blurForged}`
  ].sort()
  const lettersNow = (): string[] => pipeline.deadLetters.slice(before).map((l) => `${l.topic}/${l.key}`).sort()
  try { await until(() => lettersNow().length >= refused.length, 30_000, 'dead letters') } catch { /* compared below */ }
  const letters = pipeline.deadLetters.slice(before)
  t.comment(`fault poison: ${poison.length + 1} poison events, ${letters.length} dead letters (largest ${Math.max(...letters.map((l) => JSON.stringify(l).length))} bytes)`)
  t.same(lettersNow(), refused, 'every refused event has exactly one dead letter, and nothing else has one')
  for (const [id, code] of Object.entries(expected)) {
    if (id !== ids.missing) t.equal(letters.find((l) => l.key === id)?.code, code, `the letter of ${id} carries its task's code`)
  }
  t.ok(letters.every((l) => JSON.stringify(l).length < 16 * 1024), 'every dead letter is bounded')
  t.ok(letters.some((l) => l.value_bytes === 200_000 && l.value_truncated), 'the NUL bytes: size kept, preview only')

  // A restart must not meet the poison again (its offsets are committed): once both groups have
  // committed everything on their input, the dead-letter topic holds no letter more.
  const dlqSize = async (): Promise<bigint> => (await pipeline.bus.offsets(pipeline.topics.deadLetter)).reduce((n, p) => n + p.high, 0n)
  const lettersBefore = await dlqSize()
  await services.detector!.stop()
  await services.blurrer!.stop()
  await Promise.all([startStage('detector'), startStage('blurrer')])
  await stillServing(t, 'poison+restart')
  const { groups } = namesFor(namespace)
  await until(async () =>
    await pipeline.bus.lag(groups.detector, pipeline.topics.submitted) === 0 && await pipeline.bus.lag(groups.blurrer, pipeline.topics.facesDetected) === 0, 60_000, 'the restarted stages read their inputs to the end')
  t.equal(await dlqSize(), lettersBefore, 'no poison was read twice')
})

t.test('Kafka stopped for 15 s and restarted mid-stream with 200 tasks', { skip: skipUnlessLocal }, async (t) => {
  const accepted: string[] = []
  let refused503 = 0
  let without = 0 // 503s without Retry-After
  let kafkaDown = false
  // Clients that retry on 429/503 after Retry-After, as the API asks.
  const submitter = async (count: number): Promise<void> => {
    for (let i = 0; i < count;) {
      let res: Response
      try { res = await client.submit('detect', small) } catch { await sleep(500); continue }
      if (res.status === 200) { accepted.push((await res.json() as { task_id: string }).task_id); i++; continue }
      if (res.status === 503) { refused503++; if (res.headers.get('retry-after') === null) without++ }
      await res.body?.cancel()
      if (res.status !== 503 && res.status !== 429) throw new Error(`submit answered ${res.status}`)
      await sleep(kafkaDown ? 1000 : 200)
    }
  }
  const submitting = Promise.all(Array.from({ length: 4 }, async () => { await submitter(50) }))
  while (accepted.length < 40) await sleep(100)
  await stopKafka()
  kafkaDown = true
  const downAt = Date.now()
  // While the broker is away, the stages say so.
  const detectorNotReadyMs = await waitForReady(health.detector, 503, 15_000)
  const blurrerNotReadyMs = await waitForReady(health.blurrer, 503, 15_000)
  t.comment(`fault kafka-restart: /ready went 503 after ${detectorNotReadyMs} ms (detector), ${blurrerNotReadyMs} ms (blurrer)`)
  t.ok(detectorNotReadyMs >= 0, 'the detector reports not-ready within 15 s')
  t.ok(blurrerNotReadyMs >= 0, 'the blurrer reports not-ready within 15 s')
  await sleep(Math.max(0, 15_000 - (Date.now() - downAt)))
  await startKafka()
  kafkaDown = false
  await submitting
  t.comment(`fault kafka-restart: ${refused503} submissions answered 503 while Kafka was away`)
  t.ok(refused503 > 0, 'submissions while Kafka is away are answered 503')
  t.equal(without, 0, 'every 503 carries Retry-After')
  const by = await settle(t, 'kafka-restart', accepted, 120_000)
  t.equal(by.get('SUCCESS'), accepted.length, 'every accepted task succeeds')
  t.ok(await waitForReady(health.detector, 200, 60_000) >= 0, 'the detector is ready again')
  t.ok(await waitForReady(health.blurrer, 200, 60_000) >= 0, 'the blurrer is ready again')
  const metrics = await (await fetch(`http://127.0.0.1:${health.detector}/metrics`)).text()
  t.match(metrics, /faceblur_stage_consumer_rebalances\{consumes="[^"]*submitted"\} \d+/, 'rebalances are counted')
  t.comment(`fault kafka-restart: detector ${/faceblur_stage_consumer_restarts\{consumes="[^"]*submitted"\} \d+/.exec(metrics)?.[0]}, ${/faceblur_stage_consumer_rebalances\{consumes="[^"]*submitted"\} \d+/.exec(metrics)?.[0]}`)
  await stillServing(t, 'kafka-restart')
})

t.test('MinIO stopped for 30 s mid-stream', { skip: skipUnlessLocal }, async (t) => {
  const ids = await Promise.all(Array.from({ length: 40 }, async (_, i) => await submitDirect(pipeline, i % 2 === 0 ? 'blur' : 'detect', small)))
  while (ids.filter((id) => finished(pipeline.statuses.get(id) ?? { status: 'PENDING' } as TaskStatusV1)).length < 5) await sleep(50)
  await stopMinio()
  const upload = await client.submit('detect', small)
  t.equal(upload.status, 503, 'an upload while the store is down is answered 503')
  t.ok(upload.headers.get('retry-after') !== null, 'with Retry-After')
  await upload.body?.cancel()
  await sleep(30_000)
  await startMinio()
  const by = await settle(t, 'minio-restart', ids, 120_000)
  t.equal(by.get('SUCCESS'), ids.length, 'every task succeeded once the store was back')
  await stillServing(t, 'minio-restart')
})

for (const stage of ['detector', 'blurrer'] as const) {
  t.test(`the ${stage} killed with SIGKILL mid-stream and restarted`, async (t) => {
    const ids = await Promise.all(Array.from({ length: 24 }, async () => await submitDirect(pipeline, 'blur', small)))
    while (ids.filter((id) => finished(pipeline.statuses.get(id) ?? { status: 'PENDING' } as TaskStatusV1)).length < 4) await sleep(20)
    services[stage]!.child.kill('SIGKILL')
    await startStage(stage)
    const by = await settle(t, `${stage}-sigkill`, ids)
    t.equal(by.get('SUCCESS'), ids.length, 'every task succeeded')
    await stillServing(t, `${stage}-sigkill`)
  })
}
