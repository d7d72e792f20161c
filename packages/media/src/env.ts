// The media tools' settings: each stage that reads or writes frames spreads them into its own
// config.ts, which alone loads them from the environment.
import { Type } from '@sinclair/typebox'

/** What every stage that touches video frames (detector, blurrer, video) reads. */
export const VideoToolsEnv = {
  FACEBLUR_FFMPEG: Type.String({ default: 'ffmpeg', minLength: 1, description: 'the ffmpeg binary (Debian\'s ffmpeg 5.1)' }),
  FACEBLUR_FFPROBE: Type.String({ default: 'ffprobe', minLength: 1 }),
  FACEBLUR_VIDEO_TEMPORAL_WINDOW: Type.Integer({ default: 2, minimum: 0, maximum: 30, description: 'frames each way a face\'s box is carried (temporal safety); the detector reads as many frames of the neighbouring segments' })
}
