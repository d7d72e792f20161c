import { createHash, timingSafeEqual } from 'node:crypto'
import { FaceBlurError, type TaskStatusV1 } from '@faceblur/contracts'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyRequest {
    /** Hash of the caller's API key when keys are on; tasks carry it as their owner. */
    owner?: string
  }
}

/** What a task records instead of the key itself. */
export const ownerOf = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 32)

/** Paths anyone may call: probes, metrics, docs and the demo page. */
const PUBLIC = [/^\/health$/, /^\/ready$/, /^\/metrics$/, /^\/docs(\/|$)/, /^\/$/, /^\/demo\//]

function presentedKey (request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key']
  if (typeof header === 'string' && header !== '') return header
  const auth = request.headers.authorization
  if (auth?.startsWith('Bearer ') === true) return auth.slice(7)
  // Browsers cannot set headers on a WebSocket, so /ws alone takes the key as a query parameter.
  if (request.url.split('?')[0] !== '/ws') return undefined
  const query = (request.query as { api_key?: unknown } | undefined)?.api_key
  return typeof query === 'string' && query !== '' ? query : undefined
}

/** A URL fit for logs: any `api_key` in its query is replaced. */
export const redactedUrl = (url: string): string => url.replace(/([?&]api_key=)[^&#]*/gi, '$1[redacted]')

/**
 * Optional API keys: with none configured every request is anonymous and every task visible.
 * With keys, each request needs one, and a task is visible only to the key that created it.
 */
export const apiKeys = fp<{ keys: readonly string[] }>(async (app, { keys }) => {
  const owners = keys.map((k) => Buffer.from(ownerOf(k)))
  app.decorateRequest('owner', undefined)
  if (owners.length === 0) return
  app.addHook('onRequest', async (request) => {
    if (PUBLIC.some((re) => re.test(request.url.split('?')[0]!))) return
    const key = presentedKey(request)
    if (key === undefined) throw new FaceBlurError('FB_ERR_AUTH_REQUIRED')
    const candidate = Buffer.from(ownerOf(key))
    if (!owners.some((o) => timingSafeEqual(o, candidate))) throw new FaceBlurError('FB_ERR_AUTH_INVALID')
    request.owner = candidate.toString()
  })
}, { name: 'api-keys' })

/** A task is visible to its owner; tasks without one (keys off when created) to everybody. */
export const visibleTo = (status: TaskStatusV1, owner: string | undefined): boolean =>
  status.owner === undefined || status.owner === owner

/** Keys from the comma-separated list and the file (one per line, # comments), de-duplicated. */
export function parseKeys (list: string, file: string | undefined): string[] {
  const lines = (file ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  return [...new Set([...list.split(','), ...lines].map((k) => k.trim()).filter((k) => k !== ''))]
}
