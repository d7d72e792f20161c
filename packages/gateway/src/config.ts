import { Type } from '@sinclair/typebox'
import { loadEnvConfig, SharedEnv } from '@faceblur/service-kit'

export const GatewayEnv = {
  ...SharedEnv,
  PORT: Type.Integer({ default: 8000, minimum: 0, maximum: 65535 }),
  HOST: Type.String({ default: '127.0.0.1', description: '0.0.0.0 to listen on every interface' }),
  FACEBLUR_MAX_UPLOAD_BYTES: Type.Integer({ default: 25 * 1024 * 1024, minimum: 1, description: 'bytes (25 MiB)' }),
  FACEBLUR_MAX_PIXELS: Type.Integer({ default: 64_000_000, minimum: 1, description: 'pixels (width × height), checked from the header before decoding' })
}

export const loadConfig = (env: Record<string, string | undefined>): ReturnType<typeof loadEnvConfig<typeof GatewayEnv>> => loadEnvConfig(GatewayEnv, env)
export type GatewayConfig = ReturnType<typeof loadConfig>
