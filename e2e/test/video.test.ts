// Videos all the way through: gateway → video stage (FFmpeg cuts segments) → detectors → blurrers
// → video stage (joins) → MinIO → gateway, on real clips made from the fixture photo.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import type { Box, Progress, VideoResultBody } from '@faceblur/contracts'
import { loadEnvConfig, SharedEnv, storeFromConfig } from '@faceblur/service-kit'
import { openServiceDetector } from '../support/detector.js'
import { Client, freePort, start, type RunningService } from '../support/harness.js'
import { detailEnergy, gray, meanAbsDiff } from '../support/pixels.js'
import { emptied, frameAt, makeAudioOnly, makeClip, probe } from '../support/video.js'

const store = storeFromConfig(loadEnvConfig(SharedEnv, process.env))
const port = freePort()
const client = new Client(`http://127.0.0.1:${port}`)
const services: RunningService[] = []
const dir = await mkdtemp(join(tmpdir(), 'faceblur-video-test-'))
// One-second segments, so a four-second clip is four segments spread over the partitions.
const stageEnv = { FACEBLUR_VIDEO_SEGMENT_S: '1', FACEBLUR_VIDEO_MAX_DURATION_S: '20' }

t.before(async () => {
  services.push(...await Promise.all([
    start('gateway', { PORT: String(port), FACEBLUR_MAX_VIDEO_BYTES: String(8 * 1024 * 1024) }),
    start('video', stageEnv),
    // Batches of 4 frames, as on a GPU (CPU runs batch 1 by default): the batched path end to end.
    start('detector', { ...stageEnv, FACEBLUR_BATCH_MAX: '4' }),
    start('blurrer', stageEnv)
  ]))
})
t.teardown(async () => {
  await Promise.all(services.map((s) => s.stop()))
  await rm(dir, { recursive: true, force: true })
})

t.test('a clip: same frames and duration, audio kept, tags gone, every face blurred, the rest kept', async (t) => {
  const clip = await makeClip(dir, 'pan.mp4', { seconds: 4, fps: 25, gop: 25 })
  const input = await probe(dir, clip)
  t.same([input.frames, input.audio, input.tags.title], [100, 'aac', 'Secret title'], 'the input: 100 frames, a tone, a title')

  const id = await client.submitOk('video', clip)
  const progress: Progress[] = []
  const { final, seen } = await client.waitDone(id, 240_000, (body) => {
    if (body.progress !== undefined && progress.at(-1)?.frames_done !== body.progress.frames_done) progress.push(body.progress)
  })
  t.equal(final.status, 'SUCCESS', `statuses seen: ${seen.join(' → ')} ${JSON.stringify(final.error ?? '')}`)
  t.ok(progress.length >= 1 && progress.every((p) => p.frames_total === 100), `progress was reported: ${progress.map((p) => p.frames_done).join(', ')} of 100`)
  t.ok(progress.every((p, i) => i === 0 || p.frames_done > progress[i - 1]!.frames_done), 'and only grew')
  const loaded = services.find((s) => s.name === 'detector')?.lines.find((line) => line.includes('loaded on'))
  const batch = (process.env.FACEBLUR_MODEL ?? 'yunet-n') === 'yunet-n' ? 4 : 1 // YOLOv8n-face's export fixes its batch at one
  t.match(loaded, new RegExp(`"batch":${batch}[,}]`), `the detector ran batches of ${batch}`)
  const result = final.result as VideoResultBody
  t.match(result, { result_url: `/results/${id}`, content_type: 'video/mp4', frames: 100, duration_s: 4 })
  t.ok(result.faces.frames_with_faces >= 95 && result.faces.max_in_a_frame === 2, `faces: ${JSON.stringify(result.faces)}`)

  const res = await fetch(`${client.base}${result.result_url}`)
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'video/mp4')
  t.equal(res.headers.get('accept-ranges'), 'bytes')
  t.equal(res.headers.get('x-content-type-options'), 'nosniff')
  const output = Buffer.from(await res.arrayBuffer())
  const out = await probe(dir, output)
  t.same([out.frames, out.fps, out.width, out.height, out.video, out.audio], [100, '25/1', 640, 360, 'h264', 'aac'], 'same frames, rate and size; H.264; audio kept')
  t.ok(Math.abs(out.duration - 4) < 0.1, `same duration (${out.duration} s)`)
  t.notOk('title' in out.tags || 'comment' in out.tags || 'encoder' in out.tags, `no metadata left: ${JSON.stringify(out.tags)}`)

  // Seeking: one range, an open range, and one past the end.
  const part = await fetch(`${client.base}${result.result_url}`, { headers: { range: 'bytes=100-199' } })
  t.equal(part.status, 206)
  t.equal(part.headers.get('content-range'), `bytes 100-199/${output.length}`)
  t.same(Buffer.from(await part.arrayBuffer()), output.subarray(100, 200), 'the range holds those bytes')
  const tail = await fetch(`${client.base}${result.result_url}`, { headers: { range: `bytes=${output.length - 10}-` } })
  t.same([tail.status, (await tail.arrayBuffer()).byteLength], [206, 10])
  const past = await fetch(`${client.base}${result.result_url}`, { headers: { range: `bytes=${output.length + 5}-` } })
  t.equal(past.status, 416)
  t.match(await past.json(), { error: { code: 'FB_ERR_RANGE_NOT_SATISFIABLE' } })

  // Sampled frames, one from each segment: the faces found in the input frame have lost their
  // detail in the output frame; far from them the picture is nearly unchanged (H.264 both times).
  const { detector, release } = await openServiceDetector()
  t.teardown(release)
  for (const n of [3, 30, 62, 99]) {
    const [before, after] = await Promise.all([frameAt(dir, clip, n), frameAt(dir, output, n)])
    const faces = (await detector.detect(before)).faces.map((f) => f.box)
    t.equal(faces.length, 2, `frame ${n}: both faces found in the input`)
    const [a, b] = await Promise.all([gray(before), gray(after)])
    for (const box of faces) {
      const w = box[2] - box[0]
      const h = box[3] - box[1]
      const inner: Box = [box[0] + Math.round(w * 0.2), box[1] + Math.round(h * 0.2), box[2] - Math.round(w * 0.2), box[3] - Math.round(h * 0.2)]
      const ratio = detailEnergy(a, inner) / detailEnergy(b, inner)
      t.ok(ratio > 4, `frame ${n}: the face ${JSON.stringify(box)} lost its detail (${ratio.toFixed(1)}×)`)
    }
    // Between the two faces, clear of both padded boxes (20 %) and of where they were a few frames away.
    const [left, right] = [...faces].sort((p, q) => p[0] - q[0]) as [Box, Box]
    const gap: Box = [Math.round(left[2] + 0.2 * (left[2] - left[0])) + 12, 0, Math.round(right[0] - 0.2 * (right[2] - right[0])) - 12, a.height]
    t.ok(gap[2] - gap[0] >= 20, `frame ${n}: a background strip ${JSON.stringify(gap)} between the faces`)
    t.ok(meanAbsDiff(a, b, gap) < 3, `frame ${n}: the background is nearly unchanged (mean |Δ| ${meanAbsDiff(a, b, gap).toFixed(2)})`)
  }
  t.same(await emptied(store.list, `work/${id}/`), [], 'the segments are deleted')
  await t.rejects(store.get(`uploads/${id}`), { code: 'FB_ERR_SOURCE_MISSING' }, 'and the upload')
})

t.test('keep_audio=false and blur options travel with the video', async (t) => {
  const clip = await makeClip(dir, 'short.mp4', { seconds: 1, fps: 25, gop: 25 })
  const id = await client.submitOk('video', clip, '?keep_audio=false&mode=solid')
  const { final } = await client.waitDone(id, 120_000)
  t.equal(final.status, 'SUCCESS', JSON.stringify(final.error ?? ''))
  const output = Buffer.from(await (await fetch(`${client.base}/results/${id}`)).arrayBuffer())
  const out = await probe(dir, output)
  t.equal(out.audio, undefined, 'no audio')
  t.equal(out.frames, 25)
})

t.test('a phone video stored sideways (rotation tag) comes out upright, its faces blurred', async (t) => {
  // The frames are stored 640×360 with a tag saying "turn 90°": players (and FFmpeg) show 360×640.
  const clip = await makeClip(dir, 'phone.mp4', { seconds: 1, fps: 25, gop: 25, audio: false, rotate: 90 })
  const id = await client.submitOk('video', clip)
  const { final } = await client.waitDone(id, 120_000)
  t.equal(final.status, 'SUCCESS', JSON.stringify(final.error ?? ''))
  const output = Buffer.from(await (await fetch(`${client.base}/results/${id}`)).arrayBuffer())
  const out = await probe(dir, output)
  t.same([out.width, out.height, out.frames], [360, 640, 25], 'upright pixels, no rotation tag needed')
  const { detector, release } = await openServiceDetector()
  t.teardown(release)
  const [before, after] = await Promise.all([frameAt(dir, clip, 12), frameAt(dir, output, 12)]) // FFmpeg shows the input upright
  const faces = (await detector.detect(before)).faces.map((f) => f.box)
  t.ok(faces.length >= 1, `faces found in the upright input frame: ${faces.length}`)
  const [a, b] = await Promise.all([gray(before), gray(after)])
  t.same([a.width, a.height], [b.width, b.height], 'the same upright size as a player shows the input')
  for (const box of faces) {
    const ratio = detailEnergy(a, box) / detailEnergy(b, box)
    t.ok(ratio > 4, `the face ${JSON.stringify(box)} lost its detail (${ratio.toFixed(1)}×)`)
  }
})

t.test('bad videos: refused at the door when the bytes tell, else a FAILURE with its code', async (t) => {
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).jpeg().toBuffer()
  const renamed = await client.submit('video', jpeg, 'holiday.mp4')
  t.equal(renamed.status, 415, 'a JPEG named .mp4')
  t.match(await renamed.json(), { error: { code: 'FB_ERR_VIDEO_UNSUPPORTED' } })
  const empty = await client.submit('video', Buffer.alloc(0), 'empty.mp4')
  t.equal(empty.status, 422, 'an empty file')

  const clip = await makeClip(dir, 'whole.mp4', { seconds: 2 })
  const cases: Array<[string, Buffer, string]> = [
    ['a truncated MP4 (its index was at the end)', clip.subarray(0, Math.floor(clip.length / 2)), 'FB_ERR_VIDEO_UNDECODABLE'],
    ['audio only', await makeAudioOnly(dir), 'FB_ERR_VIDEO_NO_VIDEO_STREAM'],
    ['longer than the limit (20 s here)', await makeClip(dir, 'long.mp4', { seconds: 21, fps: 5, width: 160, height: 90, audio: false }), 'FB_ERR_VIDEO_TOO_LONG']
  ]
  for (const [what, bytes, code] of cases) {
    const id = await client.submitOk('video', bytes)
    const { final } = await client.waitDone(id, 60_000)
    t.equal(final.status, 'FAILURE', what)
    t.equal(final.error?.code, code, `${what}: ${final.error?.message}`)
    // The splitter deletes the upload just after the FAILURE is out.
    t.same(await emptied(store.list, `uploads/${id}`), [], `${what}: the upload is deleted`)
  }
  const big = await client.submit('video', Buffer.concat([clip, Buffer.alloc(8 * 1024 * 1024)]), 'big.mp4')
  t.equal(big.status, 413, 'over the video upload limit')
})
