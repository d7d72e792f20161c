import { Type } from '@sinclair/typebox'
import { BlurMode, BlurShape } from '@faceblur/contracts'
import { loadEnvConfig, StageEnv } from '@faceblur/service-kit'
import { VideoToolsEnv } from '@faceblur/media'
import { ENCODE_EFFORTS } from './blur.js'

export const BlurrerEnv = {
  ...StageEnv,
  ...VideoToolsEnv,
  FACEBLUR_VIDEO_PRESET: Type.Union(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'].map((p) => Type.Literal(p)), { default: 'veryfast', description: 'x264 preset of blurred video' }),
  FACEBLUR_VIDEO_CRF: Type.Integer({ default: 20, minimum: 0, maximum: 51, description: 'x264 constant rate factor (lower: better and larger)' }),
  FACEBLUR_BLUR_MODE: Type.Union(BlurMode.anyOf, { default: 'gaussian' }),
  FACEBLUR_BLUR_SHAPE: Type.Union(BlurShape.anyOf, { default: 'ellipse' }),
  FACEBLUR_BLUR_PADDING: Type.Number({ default: 0.2, minimum: 0, maximum: 1, description: 'fraction of the box added on each side' }),
  FACEBLUR_MAX_PIXELS: Type.Integer({ default: 64_000_000, minimum: 1 }),
  FACEBLUR_ENCODE_EFFORT: Type.Union(ENCODE_EFFORTS.map((e) => Type.Literal(e)), { default: 'fast', description: 'blurred images: `fast` (about 2.5× quicker JPEG, a few % larger) or `small` (libvips defaults)' }),
  FACEBLUR_BLURRER_HEALTH_PORT: Type.Integer({ default: 8002, minimum: 0, description: '0 = no health server' }),
}

export const loadConfig = (env: Record<string, string | undefined>): ReturnType<typeof loadEnvConfig<typeof BlurrerEnv>> => loadEnvConfig(BlurrerEnv, env)
export type BlurrerConfig = ReturnType<typeof loadConfig>
