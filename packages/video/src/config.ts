import { Type } from '@sinclair/typebox'
import { loadEnvConfig, StageEnv } from '@faceblur/service-kit'
import { VideoToolsEnv } from '@faceblur/media'

export const VideoEnv = {
  ...StageEnv,
  ...VideoToolsEnv,
  FACEBLUR_VIDEO_SEGMENT_S: Type.Number({ default: 2, exclusiveMinimum: 0, description: 'seconds per segment (cut at the next keyframe, so a video with sparse keyframes gets longer ones)' }),
  FACEBLUR_VIDEO_MAX_DURATION_S: Type.Number({ default: 600, exclusiveMinimum: 0, description: 'longest video, in seconds' }),
  FACEBLUR_VIDEO_MAX_PIXELS: Type.Integer({ default: 3840 * 2160, minimum: 1, description: 'pixels of one frame (4K UHD)' }),
  FACEBLUR_VIDEO_MAX_FPS: Type.Number({ default: 60, exclusiveMinimum: 0, description: 'frames per second' }),
  FACEBLUR_VIDEO_HEALTH_PORT: Type.Integer({ default: 8003, minimum: 0, description: '0 = no health server' })
}

export const loadConfig = (env: Record<string, string | undefined>): ReturnType<typeof loadEnvConfig<typeof VideoEnv>> => loadEnvConfig(VideoEnv, env)
export type VideoConfig = ReturnType<typeof loadConfig>
