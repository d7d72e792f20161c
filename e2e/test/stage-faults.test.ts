// The stage faults, with tasks in flight, against the real Kafka, MinIO and model: poison events,
// and each stage killed with SIGKILL. Each case ends by counting the accepted tasks
// lost or stuck (must be 0) and proving the stages still take new work (`# fault …` lines). A 59 MP
// photo and a task past its deadline: huge-photo.test.ts; Kafka and MinIO taken away: faults.test.ts.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { codecs, namesFor, uploadKey, type TaskStatusV1 } from '@faceblur/contracts'
import { namespace } from '../support/harness.js'
import { submitDirect } from '../support/status-watcher.js'
import { until } from '../support/wait.js'
import { finished, pipeline, services, settle, small, startStage, stillServing } from '../support/fault-rig.js'

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
