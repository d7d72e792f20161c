// Temporal safety, shown on the blurrer's real video stage (FFmpeg, sharp, MinIO): the detections
// of one frame are taken away, and that frame's faces are still blurred, because each face's box is
// carried to the frames around it. With the window at 0 the same frame keeps its faces, so the test
// can tell.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { blurrerVideoStage } from '@faceblur/blurrer'
import { namesFor, workKeys, type Box, type VideoEncodedV1, type VideoFacesV1 } from '@faceblur/contracts'
import { loadEnvConfig, SharedEnv, storeFromConfig } from '@faceblur/service-kit'
import { createFfmpeg } from '@faceblur/media'
import { detailEnergy, gray, iou } from '../support/pixels.js'
import { openServiceDetector } from '../support/detector.js'
import { checkEveryFace, expectBlurred, type FaceResult } from '../support/face-check.js'
import { makeScenes, sceneViews, truthIn } from '../support/scenes.js'
import { frameAt, makeClip } from '../support/video.js'

const store = storeFromConfig(loadEnvConfig(SharedEnv, process.env))
const ffmpeg = createFfmpeg({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' })
const dir = await mkdtemp(join(tmpdir(), 'faceblur-temporal-'))
const { detector, release } = await openServiceDetector()
t.teardown(async () => {
  await release()
  await rm(dir, { recursive: true, force: true })
})

const MISSED = 12
const width = 640
const height = 360

/** Runs the blurrer's video stage on one segment whose frame MISSED has no detections; returns that frame of the output. */
async function blurWithGap (clip: Buffer, frames: Box[][], window: number, whole = false): Promise<Buffer> {
  const taskId = randomUUID()
  const key = workKeys.segment(taskId, 0)
  await store.put(key, clip, 'video/mp4')
  const stage = blurrerVideoStage({
    store,
    topics: namesFor('').topics,
    ffmpeg,
    options: { defaults: { mode: 'gaussian', shape: 'ellipse', padding: 0.2 }, window, preset: 'veryfast', crf: 20, maxBytes: 1e9 }
  })
  const event: VideoFacesV1 = {
    task_id: taskId,
    kind: 'video',
    source: { bucket: store.bucket, key, content_type: 'video/mp4', bytes: clip.length },
    segment: { index: 0, count: 1, first_frame: 0, frames: frames.length },
    context: {},
    video: { width, height, fps: '25/1', frames: frames.length, duration_s: 1, rotation: 0 },
    frames: frames.map((boxes, i) => i === MISSED ? [] : boxes),
    context_frames: { before: 0, after: 0 },
    model: detector.model,
    detected_at: new Date().toISOString()
  }
  const out = await stage.process(event, { log: pino({ level: 'silent' }), source: Buffer.alloc(0), signal: new AbortController().signal })
  const encoded = JSON.parse(out.outputs![0]!.value!.toString()) as VideoEncodedV1
  const video = await store.get(encoded.source.key)
  await store.removePrefix(`work/${taskId}/`)
  return whole ? video : await frameAt(dir, video, MISSED)
}

t.test('a face missed in one frame between hits is still blurred there', async (t) => {
  const clip = await makeClip(dir, 'one.mp4', { seconds: 1, fps: 25, gop: 25, audio: false })
  const frames: Box[][] = []
  for await (const rgb of ffmpeg.frames(join(dir, 'one.mp4'), { width, height, rotation: 0 })) {
    frames.push((await detector.detectFrame({ rgb, width, height })).faces.map((f) => f.box))
  }
  t.equal(frames.length, 25)
  t.ok(frames.every((f) => f.length === 2), 'the detector finds both faces in every frame')
  const original = await gray(await frameAt(dir, clip, MISSED))
  const inner = frames[MISSED]!.map(([x1, y1, x2, y2]): Box => {
    const w = x2 - x1
    const h = y2 - y1
    return [x1 + Math.round(w * 0.25), y1 + Math.round(h * 0.25), x2 - Math.round(w * 0.25), y2 - Math.round(h * 0.25)]
  })
  const loss = async (frame: Buffer): Promise<number[]> => {
    const g = await gray(frame)
    return inner.map((box) => detailEnergy(original, box) / detailEnergy(g, box))
  }

  const carried = await loss(await blurWithGap(clip, frames, 2))
  t.ok(carried.every((r) => r > 4), `window 2: both faces blurred in the frame with no detections (detail down ${carried.map((r) => r.toFixed(0)).join('×, ')}×)`)
  const bare = await loss(await blurWithGap(clip, frames, 0))
  t.ok(bare.every((r) => r < 2), `window 0: the same frame keeps its faces (detail ratio ${bare.map((r) => r.toFixed(1)).join(', ')}), so the test can fail`)
})

t.test('a face missed in one frame while the camera pans fast is blurred where it has moved to', async (t) => {
  // The fast pan: every face moves about 45 px a frame, half its own width.
  const { clip } = await makeScenes(dir, 'pan.mp4', 25)
  const frames: Box[][] = []
  for await (const rgb of ffmpeg.frames(join(dir, 'pan.mp4'), { width, height, rotation: 0 })) {
    frames.push((await detector.detectFrame({ rgb, width, height })).faces.map((f) => f.box))
  }
  t.ok(frames[MISSED]!.length >= 6, `the detector finds ${frames[MISSED]!.length} faces in frame ${MISSED}, then they are taken away`)
  // A face the detector sees in that frame alone (one entering at a corner, say) cannot be carried
  // there from anywhere: only faces it also finds within the window are the carry's to cover. Which
  // face is which comes from the scene itself (where each face of the mosaic is in every frame).
  const scene = (await sceneViews()).frames
  const truthAt = (frame: number): Array<Box | null> => truthIn(scene[frame]!) as Array<Box | null>
  const overlap = (a: Box, b: Box): number => iou(a, b)
  const identity = (box: Box): number => truthAt(MISSED).reduce((best, truth, i) => truth !== null && overlap(box, truth) > (best < 0 ? 0.3 : overlap(box, truthAt(MISSED)[best]!)) ? i : best, -1)
  const seenNearby = (box: Box): boolean => {
    const i = identity(box)
    return i >= 0 && [-2, -1, 1, 2].some((d) => {
      const truth = truthAt(MISSED + d)[i]
      return truth != null && frames[MISSED + d]!.some((found) => overlap(found, truth) >= 0.3)
    })
  }
  const alone = frames[MISSED]!.filter((box) => !seenNearby(box))
  t.ok(alone.length <= 2, `${alone.length} of them seen in frame ${MISSED} only: ${JSON.stringify(alone)}`)
  const carried = await checkEveryFace(dir, clip, await blurWithGap(clip, frames, 2, true), { width, height }, detector)
  const seenOnlyThen = (f: FaceResult): boolean => f.frame === MISSED && alone.some((b) => b.every((v, i) => v === f.box[i]))
  expectBlurred(t, 'fast pan, window 2, frame 12 missed', { ...carried, faces: carried.faces.filter((f) => !seenOnlyThen(f)), leaks: carried.leaks.filter((f) => !seenOnlyThen(f)) })
  t.ok(carried.faces.filter((f) => f.frame === MISSED && !seenOnlyThen(f)).length >= 5, 'at least 5 faces of that frame were carried there and checked')
  const bare = await checkEveryFace(dir, clip, await blurWithGap(clip, frames, 0, true), { width, height }, detector)
  const exposed = bare.faces.filter((f) => f.frame === MISSED && f.kept > 0.5).length
  t.ok(exposed >= 3, `window 0: ${exposed} faces of frame ${MISSED} keep their detail, so the test can fail`)
})
