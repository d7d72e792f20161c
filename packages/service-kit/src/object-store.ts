// The one file that imports the minio client. Errors leave here as FaceBlurErrors with a code and
// a retriable flag, so stages decide "fail the task" or "try again" without reading messages.
import type { Readable } from 'node:stream'
import { Client } from 'minio'
import { FaceBlurError } from '@faceblur/contracts'
import { answerWithin } from './retry.js'

export interface ObjectStore {
  readonly bucket: string
  put: (key: string, body: Buffer, contentType: string) => Promise<void>
  /** The object's bytes; over `maxBytes` it stops reading and throws FB_ERR_SOURCE_REFUSED. */
  get: (key: string, limits?: { maxBytes?: number }) => Promise<Buffer>
  remove: (key: string) => Promise<void>
  /** Streams a body of unknown length (a video upload) into the store. */
  putStream: (key: string, body: Readable, contentType: string) => Promise<void>
  /** Writes a local file into the store, and reads an object into a local file (large media stay off the heap). */
  putFile: (key: string, path: string, contentType: string) => Promise<void>
  getFile: (key: string, path: string) => Promise<void>
  /** Size and content type; FB_ERR_SOURCE_MISSING when absent. */
  stat: (key: string) => Promise<{ bytes: number, contentType: string }>
  /** `length` bytes from `offset` (to the end when left out), as a stream. */
  getRange: (key: string, offset: number, length?: number) => Promise<Readable>
  /** Keys under a prefix, sorted. */
  list: (prefix: string) => Promise<string[]>
  /** Deletes every object under a prefix. */
  removePrefix: (prefix: string) => Promise<void>
  ensureBucket: () => Promise<void>
  /** Lets the store delete objects under each prefix `days` after they were written (replaces every earlier rule). */
  expire: (rules: ReadonlyArray<{ prefix: string, days: number }>) => Promise<void>
  ready: () => Promise<boolean>
}

/** Deletes a task's original; one already gone (a redelivery, or it never arrived) is fine. */
export async function removeOriginal (store: ObjectStore, key: string): Promise<void> {
  try {
    await store.remove(key)
  } catch (err) {
    if ((err as { code?: string }).code !== 'FB_ERR_SOURCE_MISSING') throw err
  }
}

export interface ObjectStoreOptions { endpoint: string, accessKey: string, secretKey: string, region: string, bucket: string }

const MISSING = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket'])

function translate (err: unknown, key: string): FaceBlurError {
  if (err instanceof FaceBlurError) return err
  const code = (err as { code?: string }).code
  if (code !== undefined && MISSING.has(code)) return new FaceBlurError('FB_ERR_SOURCE_MISSING', `object ${key} is not in the store`, { cause: err })
  return new FaceBlurError('FB_ERR_STORAGE_UNAVAILABLE', `object store: ${(err as Error).message}`, { cause: err })
}

/** The whole stream, refused (FB_ERR_SOURCE_REFUSED) as soon as it passes `maxBytes`. */
async function readBounded (stream: Readable, key: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length
    if (bytes > maxBytes) {
      stream.destroy()
      throw new FaceBlurError('FB_ERR_SOURCE_REFUSED', `object ${key} is over the ${maxBytes}-byte limit`)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/** Failures that say the node did not answer at all: another node of the same store may. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE'])
const unreachable = (err: unknown): boolean => UNREACHABLE.has((err as { code?: string }).code ?? '') || /socket hang up/i.test((err as Error).message ?? '')

function clientFor (endpoint: string, { accessKey, secretKey, region }: ObjectStoreOptions): Client {
  const url = new URL(endpoint.trim())
  const useSSL = url.protocol === 'https:'
  return new Client({ endPoint: url.hostname, port: url.port === '' ? (useSSL ? 443 : 80) : Number(url.port), useSSL, accessKey, secretKey, region, pathStyle: true })
}

/**
 * An S3 store; `endpoint` may list several nodes of the same store, comma-separated (distributed
 * MinIO serves every object from any node). Calls go to one node; when it does not answer at all
 * they move on to the next, which then takes the calls that follow, so a dead node costs a refused
 * connection, not the task. A body that streams in (`putStream`) is not sent again.
 */
export function createObjectStore (options: ObjectStoreOptions): ObjectStore {
  const { bucket, region } = options
  const clients = options.endpoint.split(',').filter((e) => e.trim() !== '').map((e) => clientFor(e, options))
  let current = 0
  /** `call` on the current node (moving on while nodes do not answer), its failure translated for `key`. */
  async function about<T> (key: string, call: (client: Client) => Promise<T>, { once = false } = {}): Promise<T> {
    for (let tried = 1; ; tried++) {
      const at = current
      try {
        return await call(clients[at]!)
      } catch (err) {
        if (!unreachable(err) || clients.length === 1) throw translate(err, key)
        if (current === at) current = (at + 1) % clients.length // concurrent calls move it once
        if (once || tried >= clients.length) throw translate(err, key)
      }
    }
  }
  const type = (contentType: string): Record<string, string> => ({ 'Content-Type': contentType })

  return {
    bucket,
    put: async (key, body, contentType) => { await about(key, async (c) => await c.putObject(bucket, key, body, body.length, type(contentType))) },
    get: async (key, { maxBytes = Infinity } = {}) => await about(key, async (c) => await readBounded(await c.getObject(bucket, key), key, maxBytes)),
    remove: async (key) => { await about(key, async (c) => { await c.removeObject(bucket, key) }) },
    putStream: async (key, body, contentType) => { await about(key, async (c) => await c.putObject(bucket, key, body, undefined, type(contentType)), { once: true }) },
    putFile: async (key, path, contentType) => { await about(key, async (c) => await c.fPutObject(bucket, key, path, type(contentType))) },
    getFile: async (key, path) => { await about(key, async (c) => { await c.fGetObject(bucket, key, path) }) },
    stat: async (key) => await about(key, async (c) => {
      const s = await c.statObject(bucket, key)
      return { bytes: s.size, contentType: String(s.metaData['content-type'] ?? 'application/octet-stream') }
    }),
    getRange: async (key, offset, length) => await about(key, async (c) => await c.getPartialObject(bucket, key, offset, length)),
    async list (prefix) {
      return await about(prefix, async (c) => {
        const keys: string[] = []
        for await (const item of c.listObjectsV2(bucket, prefix, true)) {
          if (typeof (item as { name?: string }).name === 'string') keys.push((item as { name: string }).name)
        }
        return keys.sort()
      })
    },
    async removePrefix (prefix) {
      const keys = await this.list(prefix)
      if (keys.length > 0) await about(prefix, async (c) => { await c.removeObjects(bucket, keys) })
    },
    async ensureBucket () {
      try {
        await about(bucket, async (c) => { if (!(await c.bucketExists(bucket))) await c.makeBucket(bucket, region) })
      } catch (err) {
        if ((err as FaceBlurError).cause !== undefined && ((err as FaceBlurError).cause as { code?: string }).code === 'BucketAlreadyOwnedByYou') return
        throw err
      }
    },
    async expire (rules) {
      await about(bucket, async (c) => {
        await c.setBucketLifecycle(bucket, {
          Rule: rules.map(({ prefix, days }) => ({
            ID: `faceblur-expire-${prefix.replace(/\W/g, '')}`,
            Status: 'Enabled',
            Filter: { Prefix: prefix },
            Expiration: { Days: days }
          }))
        })
      })
    },
    ready: async () => await answerWithin(2000, about(bucket, async (c) => await c.bucketExists(bucket)), false)
  }
}
