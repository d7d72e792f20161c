// The video package's pure rules: probe parsing, limits, segment arithmetic and the temporal window.
import t from 'tap'
import type { Box } from '@faceblur/contracts'
import { framesDone, segmentsFrom } from '../src/plan.js'
import { checkVideo, parseProbe, rational, uprightFilter } from '../src/probe.js'
import { carryBoxes, countFaces, mergeCounts, mergeOverlapping } from '../src/temporal.js'

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
  const carried = carryBoxes(frames, 1, 5, 1)
  t.equal(carried.length, 5, 'one list per own frame')
  t.same(carried[0], [b, a], 'the first own frame also gets the box of the frame before the cut')
  t.same(carried[2], [a], 'the frame with no detection between two hits keeps the face')
  t.same(carried[4], [a], 'and the box carries one frame past the last hit')
  t.same(carryBoxes(frames, 1, 5, 0)[2], [], 'window 0: detections only')
  t.same(carryBoxes([[a], [a], [a]], 0, 3, 2)[1], [a], 'the same box from several frames is blurred once')
  t.same(carryBoxes([[[10, 10, 50, 50]], [[14, 12, 54, 52]], [[18, 14, 58, 54]]], 0, 3, 1)[1], [[10, 10, 58, 54]], 'a moving face\'s boxes become their union')
  t.same(mergeOverlapping([[0, 0, 10, 10], [20, 0, 30, 10], [8, 8, 22, 12]]), [[0, 0, 30, 12]], 'a chain of overlaps is one region')
  t.same(mergeOverlapping([[0, 0, 10, 10], [10, 0, 20, 10]]), [[0, 0, 10, 10], [10, 0, 20, 10]], 'boxes that only touch stay apart')
  t.same(countFaces([[a, b], [], [a]]), { frames_with_faces: 2, max_in_a_frame: 2 })
  t.same(mergeCounts({ frames_with_faces: 2, max_in_a_frame: 2 }, { frames_with_faces: 3, max_in_a_frame: 1 }), { frames_with_faces: 5, max_in_a_frame: 2 })
})
