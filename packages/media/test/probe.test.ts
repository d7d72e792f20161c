// ffprobe's answer, reduced to what the pipeline needs.
import t from 'tap'
import { parseProbe, rational, uprightFilter } from '../src/probe.js'

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
