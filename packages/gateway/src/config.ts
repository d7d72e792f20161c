import { Type } from '@sinclair/typebox'
import { loadEnvConfig, SharedEnv } from '@faceblur/service-kit'

export const GatewayEnv = {
  ...SharedEnv,
  PORT: Type.Integer({ default: 8000, minimum: 0, maximum: 65535 }),
  HOST: Type.String({ default: '127.0.0.1', description: '0.0.0.0 to listen on every interface' }),
  FACEBLUR_MAX_PIXELS: Type.Integer({ default: 64_000_000, minimum: 1, description: 'pixels (width × height), checked from the header before decoding' }),
  FACEBLUR_MAX_CONCURRENT_UPLOADS: Type.Integer({ default: 32, minimum: 1, description: 'uploads in progress at once, all clients together; more get 429' }),
  FACEBLUR_MAX_UPLOADS_PER_CLIENT: Type.Integer({ default: 8, minimum: 1, description: 'uploads in progress at once from one client (its API key, else its IP address); more get 429, so one client\'s stalled uploads never keep another out' }),
  FACEBLUR_MAX_BACKLOG: Type.Integer({ default: 10_000, minimum: 1, description: 'unfinished tasks; beyond this new uploads get 503' }),
  FACEBLUR_API_KEYS: Type.String({ default: '', description: 'comma-separated API keys; empty = no keys needed' }),
  FACEBLUR_API_KEYS_FILE: Type.String({ default: '', description: 'file with one API key per line' }),
  FACEBLUR_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 1200, minimum: 0, description: 'submissions per key (or per IP without keys) per minute; polls are not limited; 0 = off' }),
  FACEBLUR_UPLOAD_IDLE_TIMEOUT_S: Type.Number({ default: 15, exclusiveMinimum: 0, description: 'an upload that sends no bytes this long is answered 408 and its slot freed' }),
  FACEBLUR_REQUEST_TIMEOUT_S: Type.Number({ default: 300, exclusiveMinimum: 0, description: 'longest a whole request (headers and body) may take' }),
  FACEBLUR_IDLE_TIMEOUT_S: Type.Number({ default: 60, exclusiveMinimum: 0, description: 'a connection silent this long is closed (stalled headers, idle keep-alive)' }),
  FACEBLUR_VIEW_CATCHUP_S: Type.Integer({ default: 60, minimum: 0, description: 'seconds to wait at start for the task view to read the status topic' }),
  FACEBLUR_VIEW_SWEEP_S: Type.Number({ default: 60, exclusiveMinimum: 0, description: 'seconds between sweeps of the task view (forgetting finished tasks past the TTL, ending those past the maximum age)' }),
  FACEBLUR_WS_HEARTBEAT_S: Type.Integer({ default: 15, minimum: 1, description: 'seconds between WebSocket pings' })
}

export const loadConfig = (env: Record<string, string | undefined>): ReturnType<typeof loadEnvConfig<typeof GatewayEnv>> => loadEnvConfig(GatewayEnv, env)
export type GatewayConfig = ReturnType<typeof loadConfig>
