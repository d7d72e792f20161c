// The rules a video must meet.
import t from 'tap'
import { parseProbe } from '@faceblur/media'
import { checkVideo } from '../src/limits.js'

const limits = { maxDurationS: 60, maxPixels: 1920 * 1080, maxFps: 60 }
const h264 = { codec_type: 'video', codec_name: 'h264', width: 1920, height: 1080, avg_frame_rate: '30000/1001', r_frame_rate: '30000/1001' }

t.test('limits: each refusal has its code', async (t) => {
  const ok = parseProbe({ format: { duration: '10' }, streams: [h264] })
  t.equal(checkVideo(ok, limits).duration_s, 10)
  t.throws(() => checkVideo(parseProbe({ format: { duration: '10' }, streams: [{ codec_type: 'audio', codec_name: 'aac' }] }), limits), { code: 'FB_ERR_VIDEO_NO_VIDEO_STREAM' })
  t.throws(() => checkVideo(parseProbe({ format: { duration: '61' }, streams: [h264] }), limits), { code: 'FB_ERR_VIDEO_TOO_LONG' })
  t.throws(() => checkVideo(parseProbe({ format: { duration: '10' }, streams: [{ ...h264, width: 3840, height: 2160 }] }), limits), { code: 'FB_ERR_VIDEO_TOO_LARGE' })
  t.throws(() => checkVideo(parseProbe({ format: { duration: '10' }, streams: [{ ...h264, avg_frame_rate: '120/1' }] }), limits), { code: 'FB_ERR_VIDEO_TOO_LARGE' })
  t.throws(() => checkVideo(parseProbe({ format: {}, streams: [h264] }), limits), { code: 'FB_ERR_VIDEO_UNDECODABLE' })
})
