// The video package's pure rules: probe parsing, limits, segment arithmetic and the temporal window.
import t from 'tap'
import type { Box } from '@faceblur/contracts'
import { framesDone, segmentsFrom } from '../src/plan.js'
import { checkVideo, parseProbe, rational, uprightFilter } from '../src/probe.js'
import { carryBoxes, countFaces, mergeCounts } from '../src/temporal.js'
import { boxAt, cameraShifts, dominantShift, linkTracks } from '../src/tracks.js'

/** The frame of the temporal tests: large enough that no box touches its border. */
const F = { width: 1000, height: 1000 }
const limits = { maxDurationS: 60, maxPixels: 1920 * 1080, maxFps: 60 }
const h264 = { codec_type: 'video', codec_name: 'h264', width: 1920, height: 1080, avg_frame_rate: '30000/1001', r_frame_rate: '30000/1001' }

t.test('ffprobe JSON: the first real video stream, upright size, reduced rate, audio', async (t) => {
  const info = parseProbe({ format: { format_name: 'mov,mp4', duration: '12.5' }, streams: [{ codec_type: 'audio', codec_name: 'aac' }, h264] })
  t.same(info, { format: 'mov,mp4', duration_s: 12.5, video: { codec: 'h264', width: 1920, height: 1080, fps: '30000/1001', rotation: 0 }, audio: { codec: 'aac' } })
  const phone = parseProbe({ format: { duration: '3' }, streams: [{ ...h264, side_data_list: [{ rotation: -90 }] }] })
  t.same([phone.video?.width, phone.video?.height, phone.video?.rotation], [1080, 1920, 90], 'a display matrix of -90° is a clockwise quarter turn: sides swap')
  t.equal(parseProbe({ streams: [{ ...h264, tags: { rotate: '180' } }] }).video?.rotation, 180, 'the old rotate tag counts too')
  const cover = parseProbe({ format: { duration: '100' }, streams: [{ codec_type: 'audio', codec_name: 'mp3' }, { ...h264, disposition: { attached_pic: 1 } }] })
  t.equal(cover.video, undefined, 'an MP3\'s cover picture is not a video')
  t.equal(rational('50/2'), '25/1')
  t.equal(rational('0/0'), undefined)
  t.throws(() => parseProbe({ streams: [{ ...h264, avg_frame_rate: '0/0', r_frame_rate: '0/0' }] }), { code: 'FB_ERR_VIDEO_UNDECODABLE' })
  t.same([0, 90, 180, 270].map(uprightFilter), ['', 'transpose=clock', 'hflip,vflip', 'transpose=cclock'])
})

t.test('limits: each refusal has its code', async (t) => {
  const ok = parseProbe({ format: { duration: '10' }, streams: [h264] })
  t.equal(checkVideo(ok, limits).duration_s, 10)
  t.throws(() => checkVideo(parseProbe({ format: { duration: '10' }, streams: [{ codec_type: 'audio', codec_name: 'aac' }] }), limits), { code: 'FB_ERR_VIDEO_NO_VIDEO_STREAM' })
  t.throws(() => checkVideo(parseProbe({ format: { duration: '61' }, streams: [h264] }), limits), { code: 'FB_ERR_VIDEO_TOO_LONG' })
  t.throws(() => checkVideo(parseProbe({ format: { duration: '10' }, streams: [{ ...h264, width: 3840, height: 2160 }] }), limits), { code: 'FB_ERR_VIDEO_TOO_LARGE' })
  t.throws(() => checkVideo(parseProbe({ format: { duration: '10' }, streams: [{ ...h264, avg_frame_rate: '120/1' }] }), limits), { code: 'FB_ERR_VIDEO_TOO_LARGE' })
  t.throws(() => checkVideo(parseProbe({ format: {}, streams: [h264] }), limits), { code: 'FB_ERR_VIDEO_UNDECODABLE' })
})

t.test('segments: where each starts, empty ones dropped, progress by frames', async (t) => {
  const segments = segmentsFrom([25, 0, 30, 5])
  t.same(segments, [{ file: 0, first_frame: 0, frames: 25 }, { file: 2, first_frame: 25, frames: 30 }, { file: 3, first_frame: 55, frames: 5 }])
  const plan = { video: { width: 2, height: 2, fps: '25/1', frames: 60, duration_s: 2.4, rotation: 0 as const }, segments }
  t.equal(framesDone(plan, [0, 2]), 30)
  t.equal(framesDone(plan, []), 0)
})

t.test('temporal window: a face missed between hits is still covered, across a cut too', async (t) => {
  const a: Box = [10, 10, 50, 50]
  const b: Box = [100, 10, 140, 50]
  // Context: one frame before the segment, five own frames, one after.
  const frames: Box[][] = [[b], [a], [a], [], [a], [], []]
  const carried = carryBoxes(frames, 1, 5, 1, F)
  t.equal(carried.length, 5, 'one list per own frame')
  t.same(carried[0], [b, a], 'the first own frame also gets the box of the frame before the cut')
  t.same(carried[2], [a], 'the frame with no detection between two hits keeps the face')
  t.same(carried[4], [a], 'and the box carries one frame past the last hit')
  t.same(carryBoxes(frames, 1, 5, 0, F)[2], [], 'window 0: detections only')
  t.same(carryBoxes([[a], [a], [a]], 0, 3, 2, F)[1], [a], 'the same box from several frames is blurred once')
  t.same(countFaces([[a, b], [], [a]]), { frames_with_faces: 2, max_in_a_frame: 2 })
  t.same(mergeCounts({ frames_with_faces: 2, max_in_a_frame: 2 }, { frames_with_faces: 3, max_in_a_frame: 1 }), { frames_with_faces: 5, max_in_a_frame: 2 })
})

t.test('carried boxes follow the face: each its own region, moved, never a union', async (t) => {
  const moving: Box[][] = [[[10, 10, 50, 50]], [[24, 12, 64, 52]], [], [[52, 16, 92, 56]]]
  t.same(carryBoxes(moving, 0, 4, 2, F)[2], [[38, 14, 78, 54]], 'missed between hits: where it was half-way, not the union of both')
  const leaving: Box[][] = [[[10, 10, 50, 50]], [[30, 10, 70, 50]], []]
  t.same(carryBoxes(leaving, 0, 3, 2, F)[2], [[40, 10, 100, 50]], 'missed after its last hit: moved on by its own motion and grown by half the move')
  const entering: Box[][] = [[], [[30, 10, 70, 50]], [[50, 10, 90, 50]]]
  t.same(carryBoxes(entering, 0, 3, 2, F)[0], [[0, 10, 60, 50]], 'and back before its first hit')
  // A pan of 30 px a frame: two faces seen throughout tell the camera's motion; a third, seen
  // once at the edge, is carried with it into the next frame instead of staying put.
  const p = (x: number, y = 100): Box => [x, y, x + 40, y + 40]
  const pan: Box[][] = [[p(100), p(300)], [p(130), p(330), p(10, 10)], [p(160), p(360)]]
  const third = carryBoxes(pan, 0, 3, 1, F)[2]!.find((box) => box[1] < 100)
  t.same(third, [25, 10, 95, 50], 'a face seen once moves with the camera')
  const two: Box[][] = [[p(0), p(60)], [], [p(0), p(60)]]
  t.same(carryBoxes(two, 0, 3, 1, F)[1], [p(0), p(60)], 'two faces side by side stay two regions')
  const cut: Box[][] = [[[20, 100, 60, 140]], [], [[0, 100, 30, 140]]]
  t.same(carryBoxes(cut, 0, 3, 2, F)[1], [[0, 100, 45, 140]], 'a face leaving by the border: the carried box stays on the border (a clipped side does not move with the face)')
})

t.test('tracks: the camera\'s motion and the faces it links', async (t) => {
  const p = (x: number, y = 100): Box => [x, y, x + 40, y + 40]
  t.same(dominantShift([p(0), p(100), p(200)], [p(55), p(155), p(255)]), [55, 0], 'a pan: the move all faces agree on, though two of them are nearer another face')
  t.same(dominantShift([p(0)], []), [0, 0], 'nothing to compare')
  t.same(cameraShifts([[p(0), p(100)], [], [p(60), p(160)], [p(90), p(190)]], 2), [[0, 0], [30, 0], [30, 0], [30, 0]], 'across a frame with no faces, the move is spread over both')
  t.same(dominantShift([p(0)], [[0, 0, 400, 400]]), [0, 0], 'sizes too different to be the same face')
  const { tracks } = linkTracks([[p(0), p(100), p(200)], [p(55), p(155), p(255)], [p(110), p(210), p(310)]], 2, F)
  t.equal(tracks.length, 3, 'three faces, three tracks')
  t.same(tracks.map((tr) => tr.boxes.map((b) => b[0])), [[0, 55, 110], [100, 155, 210], [200, 255, 310]], 'each linked to itself, not to its neighbour')
  const gap = linkTracks([[p(20)], [], [], [p(26)]], 2, F).tracks
  t.equal(gap.length, 1, 'linked across a gap within the limit')
  t.equal(linkTracks([[p(20)], [], [], [], [p(26)]], 2, F).tracks.length, 2, 'not across a longer one')
  t.same(boxAt(gap[0]!, 1, 2, [[0, 0], [0, 0], [0, 0], [0, 0]], F), [22, 100, 62, 140], 'interpolated in the gap')
  t.equal(boxAt(gap[0]!, 6, 2, [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], F), null, 'nothing beyond the window')
})
