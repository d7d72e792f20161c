// The rules a video must meet, checked against what ffprobe says about it: pure functions.
import { FaceBlurError } from '@faceblur/contracts'
import { fpsValue, type MediaInfo } from '@faceblur/media'

export interface VideoLimits {
  maxDurationS: number
  /** Pixels of one upright frame. */
  maxPixels: number
  maxFps: number
}

/** Refuses what the pipeline will not take, with the code a client can act on. */
export function checkVideo (info: MediaInfo, limits: VideoLimits): NonNullable<MediaInfo['video']> & { duration_s: number } {
  const video = info.video
  if (video === undefined) throw new FaceBlurError('FB_ERR_VIDEO_NO_VIDEO_STREAM', `the file (${info.format}) has no video stream${info.audio === undefined ? '' : ', only audio'}`)
  if (info.duration_s === undefined) throw new FaceBlurError('FB_ERR_VIDEO_UNDECODABLE', 'the video has no duration (truncated or corrupt)')
  if (info.duration_s > limits.maxDurationS) {
    throw new FaceBlurError('FB_ERR_VIDEO_TOO_LONG', `the video lasts ${info.duration_s.toFixed(1)} s; the limit is ${limits.maxDurationS} s`)
  }
  if (video.width * video.height > limits.maxPixels) {
    throw new FaceBlurError('FB_ERR_VIDEO_TOO_LARGE', `frames of ${video.width}×${video.height} = ${video.width * video.height} pixels; the limit is ${limits.maxPixels}`)
  }
  if (fpsValue(video.fps) > limits.maxFps) {
    throw new FaceBlurError('FB_ERR_VIDEO_TOO_LARGE', `${fpsValue(video.fps).toFixed(2)} frames per second; the limit is ${limits.maxFps}`)
  }
  return { ...video, duration_s: info.duration_s }
}
