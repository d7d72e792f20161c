// The infrastructure faults, with tasks in flight, against the real Kafka, MinIO and model: Kafka
// stopped and restarted, MinIO stopped. Each case ends by counting the accepted tasks lost or stuck
// (must be 0) and proving the stages still take new work (`# fault …` lines). It stops the local
// servers, so it runs after every other test that uses them (beside only those that do not). The
// stage faults: stage-faults.test.ts and huge-photo.test.ts.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { TaskStatusV1 } from '@faceblur/contracts'
import { skipUnlessLocal, startKafka, startMinio, stopKafka, stopMinio } from '../support/infra-control.js'
import { submitDirect } from '../support/status-watcher.js'
import { client, finished, health, pipeline, settle, small, stillServing, waitForReady } from '../support/fault-rig.js'


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
