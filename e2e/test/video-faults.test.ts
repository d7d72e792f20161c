// Video faults: a split event redelivered after its upload is gone; one video's segments shared by
// two detectors, one of them killed mid-video; poison on each video topic; a forged segment source.
// Nothing accepted may be lost or left stuck.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { codecs, type TaskStatusV1, type VideoSegmentV1 } from '@faceblur/contracts'
import { namespace, start, type RunningService } from '../support/harness.js'
import { connect, submitDirect } from '../support/status-watcher.js'
import { openServiceDetector } from '../support/detector.js'
import { checkEveryFace, expectBlurred } from '../support/face-check.js'
import { emptied, makeClip, probe } from '../support/video.js'
import { until } from '../support/wait.js'

const pipeline = await connect(namespace)
const dir = await mkdtemp(join(tmpdir(), 'faceblur-video-faults-'))
// One-second segments; a short session, so a killed detector's partitions move on quickly.
const env = { FACEBLUR_VIDEO_SEGMENT_S: '1', FACEBLUR_KAFKA_SESSION_TIMEOUT_S: '6' }
const services: RunningService[] = []
const finished = (s: TaskStatusV1): boolean => s.status === 'SUCCESS' || s.status === 'FAILURE'
// The service's own detector, to find each input frame's faces and check them in the result.
const { detector, release } = await openServiceDetector()
const segmentsDone = (svc: RunningService): number => svc.lines.filter((l) => l.includes('detector done (videoSegments)')).length

t.before(async () => {
  services.push(...await Promise.all([start('video', env), start('blurrer', env)]))
})
t.teardown(async () => {
  await Promise.all(services.map(async (s) => await s.stop()))
  await pipeline.close()
  await release()
  await rm(dir, { recursive: true, force: true })
  setTimeout(() => { process.exit() }, 5000).unref()
})

t.test('a split event redelivered once its upload is gone (its commit lost to a rebalance): skipped, the video goes on', async (t) => {
  // No detector yet: the video waits on its segments, so the redelivery meets it under way.
  const clip = await makeClip(dir, 'again.mp4', { seconds: 2 })
  const id = await submitDirect(pipeline, 'video', clip, 'video/mp4')
  await until(async () => await pipeline.store.stat(`uploads/${id}`).then(() => false, () => true), 60_000, 'the split deleted its upload')
  await pipeline.bus.publish([{
    topic: pipeline.topics.submitted,
    key: id,
    value: codecs.taskSubmitted.encode({
      task_id: id, kind: 'video', source: { bucket: pipeline.store.bucket, key: `uploads/${id}`, content_type: 'video/mp4', bytes: clip.length }, submitted_at: new Date().toISOString()
    })
  }])
  const video = services[0]!
  const skipped = (): boolean => video.lines.some((l) => l.includes(id) && l.includes('video already split'))
  await until(() => skipped() || pipeline.statuses.get(id)?.status === 'FAILURE', 30_000, 'the redelivered split handled').catch(() => {})
  t.ok(skipped(), 'the video stage saw the split was done, by its plan')
  t.not(pipeline.statuses.get(id)?.status, 'FAILURE', 'and did not end the video under way')
  const detector = await start('detector', env)
  await pipeline.waitFor([id], finished, 120_000).catch(() => {})
  await detector.stop()
  t.equal(pipeline.statuses.get(id)?.status, 'SUCCESS', `the video finished: ${JSON.stringify(pipeline.statuses.get(id)?.error ?? '')}`)
})

t.test('two detectors share one video; one killed mid-video loses nothing', async (t) => {
  const [a, b] = await Promise.all([start('detector', env), start('detector', env)])
  services.push(a)
  const clip = await makeClip(dir, 'eight.mp4', { seconds: 8, fps: 25, gop: 25 })
  const id = await submitDirect(pipeline, 'video', clip, 'video/mp4')
  // Kill the second detector as soon as both have done a segment of this video: it is then in
  // the middle of another (each segment is one event; its offset is committed only when done).
  const deadline = Date.now() + 120_000
  while ((segmentsDone(a) === 0 || segmentsDone(b) === 0) && Date.now() < deadline) {
    if (pipeline.statuses.get(id) !== undefined && finished(pipeline.statuses.get(id)!)) break
    await sleep(50)
  }
  const before = { a: segmentsDone(a), b: segmentsDone(b) }
  t.ok(before.a > 0 && before.b > 0, `both detectors worked on the one video (${before.a} and ${before.b} segments)`)
  b.child.kill('SIGKILL')
  await pipeline.waitFor([id], finished, 180_000).catch(() => {})
  const final = pipeline.statuses.get(id)
  t.comment(`fault detector-killed-mid-video: ${final?.status ?? 'lost'}; segments by a ${segmentsDone(a)}, by b ${before.b} before it was killed`)
  t.equal(final?.status, 'SUCCESS', `the video finished: ${JSON.stringify(final?.error ?? '')}`)
  t.ok(segmentsDone(a) > before.a, 'the survivor took the rest')
  const result = final?.result
  t.equal(result?.kind === 'video' ? result.frames : 0, 200, 'every frame is in the result')
  const output = await pipeline.store.get(`results/${id}`)
  const out = await probe(dir, output)
  t.equal(out.frames, 200)
  expectBlurred(t, 'detector-killed-mid-video', await checkEveryFace(dir, clip, output, { width: 640, height: 360 }, detector))
})

t.test('the video stage and the blurrer killed mid-video and started again: the video still finishes', async (t) => {
  const clip = await makeClip(dir, 'six.mp4', { seconds: 6, fps: 25, gop: 25 })
  const id = await submitDirect(pipeline, 'video', clip, 'video/mp4')
  // Once the joiner has noted a segment (progress above 0), both lose whatever they hold.
  const deadline = Date.now() + 120_000
  const progressed = (): boolean => {
    const s = pipeline.statuses.get(id)
    return s !== undefined && (finished(s) || (s.progress?.frames_done ?? 0) > 0)
  }
  while (!progressed() && Date.now() < deadline) await sleep(50)
  const at = pipeline.statuses.get(id)
  t.ok(at !== undefined && !finished(at), `killed mid-video (at ${at?.progress?.frames_done ?? '?'} of ${at?.progress?.frames_total ?? '?'} frames)`)
  const [video, blurrer] = [services[0]!, services[1]!]
  video.child.kill('SIGKILL')
  blurrer.child.kill('SIGKILL')
  services.splice(0, 2, ...await Promise.all([start('video', env), start('blurrer', env)]))
  await pipeline.waitFor([id], finished, 180_000).catch(() => {})
  const final = pipeline.statuses.get(id)
  t.comment(`fault video-and-blurrer-killed-mid-video: ${final?.status ?? 'lost'}`)
  t.equal(final?.status, 'SUCCESS', `the video finished: ${JSON.stringify(final?.error ?? '')}`)
  t.equal(final?.result?.kind === 'video' ? final.result.frames : 0, 150, 'every frame is in the result')
  expectBlurred(t, 'video-and-blurrer-killed-mid-video', await checkEveryFace(dir, clip, await pipeline.store.get(`results/${id}`), { width: 640, height: 360 }, detector))
  t.same(await emptied(pipeline.store.list, `work/${id}/`), [], 'and its work objects are gone')
})

t.test('poison on each video topic: dead-lettered, its task failed, the stages go on', async (t) => {
  const victim = randomUUID()
  await pipeline.store.put(`results/${victim}`, Buffer.from('someone else\'s result'), 'video/mp4')
  const forged = randomUUID()
  const segment: VideoSegmentV1 = {
    task_id: forged,
    kind: 'video',
    source: { bucket: pipeline.store.bucket, key: `results/${victim}`, content_type: 'video/x-matroska', bytes: 10 },
    segment: { index: 0, count: 1, first_frame: 0, frames: 1 },
    context: {},
    video: { width: 64, height: 64, fps: '25/1', frames: 1, duration_s: 0.04, rotation: 0 }
  }
  const invalid = { segments: randomUUID(), faces: randomUUID(), encoded: randomUUID() }
  const before = pipeline.deadLetters.length
  await pipeline.bus.publish([
    { topic: pipeline.topics.videoSegments, key: `${forged}/0`, value: codecs.videoSegment.encode(segment) },
    { topic: pipeline.topics.videoSegments, key: 'junk', value: Buffer.from('{"task_id": oops') },
    ...Object.entries(invalid).map(([topic, id]) => ({
      topic: pipeline.topics[topic === 'segments' ? 'videoSegments' : topic === 'faces' ? 'videoFaces' : 'videoEncoded'],
      key: id,
      value: Buffer.from(JSON.stringify({ task_id: id, kind: 'video', source: {} }))
    }))
  ])
  const ids = [forged, ...Object.values(invalid)]
  await pipeline.waitFor(ids, finished, 60_000).catch(() => {})
  t.match(pipeline.statuses.get(forged), { status: 'FAILURE', error: { code: 'FB_ERR_SOURCE_REFUSED' } }, 'a segment naming another task\'s result is refused')
  for (const id of Object.values(invalid)) t.match(pipeline.statuses.get(id), { status: 'FAILURE', error: { code: 'FB_ERR_EVENT_INVALID' } }, 'an invalid event fails its task')
  const deadline = Date.now() + 15_000
  while (pipeline.deadLetters.length - before < 5 && Date.now() < deadline) await sleep(200)
  t.equal(pipeline.deadLetters.length - before, 5, 'each poison event has its dead letter')
  t.same(await pipeline.store.get(`results/${victim}`), Buffer.from('someone else\'s result'), 'the other task\'s result is untouched')

  // Still serving: a fresh video goes all the way through.
  const id = await submitDirect(pipeline, 'video', await makeClip(dir, 'after.mp4', { seconds: 1 }), 'video/mp4')
  await pipeline.waitFor([id], finished, 120_000).catch(() => {})
  t.equal(pipeline.statuses.get(id)?.status, 'SUCCESS', 'a new video succeeds afterwards')
})
