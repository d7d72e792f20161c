// What ffprobe says about a file: pure functions.
import { FaceBlurError } from '@faceblur/contracts'

export interface MediaInfo {
  /** ffprobe's container name(s), e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  format: string
  /** Seconds, when the container says. */
  duration_s: number | undefined
  video?: {
    codec: string
    /** Upright size (a 90° rotation swaps the stored sides). */
    width: number
    height: number
    /** Frames per second as a reduced rational, e.g. `30000/1001`. */
    fps: string
    /** Clockwise degrees the stored frames turn to stand upright. */
    rotation: number
  }
  audio?: { codec: string }
}

interface ProbeStream {
  codec_type?: string
  codec_name?: string
  width?: number
  height?: number
  avg_frame_rate?: string
  r_frame_rate?: string
  disposition?: { attached_pic?: number }
  tags?: { rotate?: string }
  side_data_list?: Array<{ rotation?: number }>
}

/** ffprobe's `-show_format -show_streams` JSON, reduced to what the pipeline needs. */
export function parseProbe (json: { format?: { format_name?: string, duration?: string }, streams?: ProbeStream[] }): MediaInfo {
  const streams = json.streams ?? []
  // A cover picture in an audio file is a "video" stream of one frame: not a video.
  const v = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && (s.width ?? 0) > 0)
  const a = streams.find((s) => s.codec_type === 'audio')
  const duration = Number(json.format?.duration)
  const info: MediaInfo = { format: json.format?.format_name ?? 'unknown', duration_s: Number.isFinite(duration) && duration > 0 ? duration : undefined }
  if (v !== undefined) {
    const rotation = clockwise(v)
    const swap = rotation === 90 || rotation === 270
    const fps = rational(v.avg_frame_rate) ?? rational(v.r_frame_rate)
    if (fps === undefined) throw new FaceBlurError('FB_ERR_VIDEO_UNDECODABLE', 'the video stream has no frame rate')
    info.video = {
      codec: v.codec_name ?? 'unknown',
      width: swap ? v.height! : v.width!,
      height: swap ? v.width! : v.height!,
      fps,
      rotation
    }
  }
  if (a !== undefined) info.audio = { codec: a.codec_name ?? 'unknown' }
  return info
}

/** The display matrix's rotation (counter-clockwise in ffprobe) as clockwise degrees in 0/90/180/270. */
function clockwise (s: ProbeStream): number {
  const matrix = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation
  const degrees = matrix !== undefined ? -matrix : Number(s.tags?.rotate ?? 0)
  const normal = ((Math.round(degrees / 90) * 90) % 360 + 360) % 360
  return Number.isFinite(normal) ? normal : 0
}

/** `30000/1001` or `25/1`, reduced; undefined for `0/0` and other non-rates. */
export function rational (text: string | undefined): string | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text ?? '')
  if (m === null) return undefined
  const num = Number(m[1])
  const den = Number(m[2])
  if (num <= 0 || den <= 0) return undefined
  const d = gcd(num, den)
  return `${num / d}/${den / d}`
}

const gcd = (a: number, b: number): number => b === 0 ? a : gcd(b, a % b)

export const fpsValue = (fps: string): number => {
  const [num, den] = fps.split('/').map(Number)
  return num! / den!
}

/** The FFmpeg filter that stands stored frames upright ('' when they already are). */
export function uprightFilter (rotation: number): string {
  switch (rotation) {
    case 90: return 'transpose=clock'
    case 180: return 'hflip,vflip'
    case 270: return 'transpose=cclock'
    default: return ''
  }
}
