// The detector stage on real Kafka and MinIO: shared work, bad events, bad images, restarts.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { freePort, namespace, start, type RunningService } from '../support/harness.js'
import { stageCounter } from '../support/stage-health.js'
import { connect, submitDirect } from '../support/status-watcher.js'
import { until } from '../support/wait.js'

const seed = readFileSync(join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg'))
const pipeline = await connect(namespace)
const running: RunningService[] = []
const healthPort = new Map<RunningService, number>()
const startDetector = async (): Promise<RunningService> => {
  const port = freePort()
  const d = await start('detector', { FACEBLUR_KEEP_ORIGINALS: 'true', FACEBLUR_DETECTOR_HEALTH_PORT: String(port) })
  running.push(d)
  healthPort.set(d, port)
  return d
}
/** How often the detector's consumer has joined its group (the first join, then one per rebalance; absent before the first). */
const joins = async (d: RunningService): Promise<number> =>
  await stageCounter(healthPort.get(d)!, 'faceblur_stage_consumer_rebalances', 'submitted').catch(() => 0)
const done = (line: string): boolean => line.includes('"msg":"detector done"')
t.teardown(async () => {
  await Promise.all(running.map((d) => d.stop()))
  await pipeline.close()
})

t.test('two detectors in one group share the work and finish every task', async (t) => {
  const [a, b] = await Promise.all([startDetector(), startDetector()])
  // A join completes only once every member has (re)joined: when both have joined at least once, the
  // group has settled on the two of them (whichever came first, or both in one rebalance).
  await until(async () => await joins(a!) >= 1 && await joins(b!) >= 1, 30_000, 'both detectors in the group')
  const ids = await Promise.all(Array.from({ length: 12 }, async () => await submitDirect(pipeline, 'detect', seed)))
  await pipeline.waitFor(ids, (s) => s.status === 'SUCCESS' || s.status === 'FAILURE')
  for (const id of ids) {
    const s = pipeline.statuses.get(id)!
    t.equal(s.status, 'SUCCESS')
    t.equal(s.result?.kind === 'detect' ? s.result.faces.length : -1, 2)
  }
  // A status can arrive before its detector's "done" line has been read from stdout: give the
  // last lines a moment to land before counting them.
  const doneBy = (d: RunningService): number => d.lines.filter(done).length
  const deadline = Date.now() + 10_000
  while (doneBy(a!) + doneBy(b!) < 12 && Date.now() < deadline) await sleep(100)
  const byA = doneBy(a!)
  const byB = doneBy(b!)
  t.comment(`detector A did ${byA}, detector B did ${byB}`)
  t.ok(byA > 0 && byB > 0, 'both detectors took part')
  t.ok(byA + byB >= 12, 'every task was processed')
})

t.test('invalid events go to the DLQ; a task named by one fails with a clear error', async (t) => {
  const taskId = '6a1e7f4e-58c4-4e8b-9d2a-0f0c1f2e3d4c'
  await pipeline.bus.publish([
    { topic: pipeline.topics.submitted, key: 'garbage', value: Buffer.from('this is not json') },
    { topic: pipeline.topics.submitted, key: taskId, value: Buffer.from(JSON.stringify({ task_id: taskId, kind: 'paint', source: {}, submitted_at: 'now' })) }
  ])
  await pipeline.waitFor([taskId], (s) => s.status === 'FAILURE')
  t.match(pipeline.statuses.get(taskId), { status: 'FAILURE', stage: 'detector', error: { code: 'FB_ERR_EVENT_INVALID' } })
  const deadline = Date.now() + 10_000
  while (pipeline.deadLetters.length < 2 && Date.now() < deadline) await sleep(100)
  const reasons = pipeline.deadLetters.map((d) => `${d.key}: ${d.reason}`)
  t.ok(pipeline.deadLetters.some((d) => d.key === 'garbage' && /not JSON/.test(d.reason) && d.value === 'this is not json'), `garbage kept whole with its reason (${reasons.join('; ')})`)
  t.ok(pipeline.deadLetters.some((d) => d.task_id === taskId && /kind|source|submitted_at/.test(d.reason)), 'schema violation names the field')
})

t.test('a broken image or a missing object fails its task; the stage carries on', async (t) => {
  const broken = await submitDirect(pipeline, 'detect', seed.subarray(0, 20_000))
  const notImage = await submitDirect(pipeline, 'detect', Buffer.from('GIF89a but not really'), 'image/gif')
  const missing = await submitDirect(pipeline, 'detect', seed, 'image/jpeg', { store: false })
  const good = await submitDirect(pipeline, 'detect', seed)
  await pipeline.waitFor([broken, notImage, missing, good], (s) => s.status === 'SUCCESS' || s.status === 'FAILURE')
  t.match(pipeline.statuses.get(broken), { status: 'FAILURE', error: { code: 'FB_ERR_IMAGE_UNDECODABLE' } })
  t.match(pipeline.statuses.get(notImage), { status: 'FAILURE', error: { code: /FB_ERR_IMAGE_(UNSUPPORTED|UNDECODABLE)/ } })
  t.match(pipeline.statuses.get(missing), { status: 'FAILURE', error: { code: 'FB_ERR_SOURCE_MISSING' } })
  t.equal(pipeline.statuses.get(good)?.status, 'SUCCESS')
  t.ok(running.every((d) => d.child.exitCode === null), 'no detector crashed')
})

t.test('a detector stopped gracefully mid-work, and one killed outright, lose nothing', async (t) => {
  const ids = await Promise.all(Array.from({ length: 16 }, async () => await submitDirect(pipeline, 'detect', seed)))
  // Mid-work: the detectors have taken tasks (a bulk task's first status comes from the detector
  // that takes it); 16 images keep both busy for a while after.
  await until(() => ids.filter((id) => pipeline.statuses.has(id)).length >= 2, 60_000, 'tasks taken')
  const [a, b] = running.splice(0, 2)
  const code = await a!.stop() // SIGTERM: finishes the image in hand, commits, leaves the group
  t.equal(code, 0, 'graceful stop exits 0')
  t.ok(a!.lines.some((l) => l.includes('stopped cleanly')))
  b!.child.kill('SIGKILL') // a crash: whatever it had not committed is redelivered
  await startDetector()
  await pipeline.waitFor(ids, (s) => s.status === 'SUCCESS' || s.status === 'FAILURE', 120_000)
  t.ok(ids.every((id) => pipeline.statuses.get(id)?.status === 'SUCCESS'), 'all 16 tasks succeeded')
})
