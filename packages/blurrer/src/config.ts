import { Type } from '@sinclair/typebox'
import { loadEnvConfig, SharedEnv } from '@faceblur/service-kit'

export const BlurrerEnv = {
  ...SharedEnv,
  FACEBLUR_BLUR_MODE: Type.Union([Type.Literal('gaussian'), Type.Literal('pixelate'), Type.Literal('solid')], { default: 'gaussian' }),
  FACEBLUR_BLUR_SHAPE: Type.Union([Type.Literal('rectangle'), Type.Literal('ellipse')], { default: 'ellipse' }),
  FACEBLUR_BLUR_PADDING: Type.Number({ default: 0.2, minimum: 0, maximum: 1, description: 'fraction of the box added on each side' }),
  FACEBLUR_MAX_PIXELS: Type.Integer({ default: 64_000_000, minimum: 1 }),
  FACEBLUR_BLURRER_HEALTH_PORT: Type.Integer({ default: 8002, minimum: 0, description: '0 = no health server' }),
  FACEBLUR_HEALTH_HOST: Type.String({ default: '127.0.0.1' })
}

export const loadConfig = (env: Record<string, string | undefined>): ReturnType<typeof loadEnvConfig<typeof BlurrerEnv>> => loadEnvConfig(BlurrerEnv, env)
export type BlurrerConfig = ReturnType<typeof loadConfig>
