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

/** `call`, with the client's failure translated to a coded error about `key`. */
async function about<T> (key: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) { throw translate(err, key) }
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

export function createObjectStore ({ endpoint, accessKey, secretKey, region, bucket }: ObjectStoreOptions): ObjectStore {
  const url = new URL(endpoint)
  const useSSL = url.protocol === 'https:'
  const client = new Client({
    endPoint: url.hostname,
    port: url.port === '' ? (useSSL ? 443 : 80) : Number(url.port),
    useSSL,
    accessKey,
    secretKey,
    region,
    pathStyle: true
  })
  const type = (contentType: string): Record<string, string> => ({ 'Content-Type': contentType })

  return {
    bucket,
    put: async (key, body, contentType) => { await about(key, async () => await client.putObject(bucket, key, body, body.length, type(contentType))) },
    get: async (key, { maxBytes = Infinity } = {}) => await about(key, async () => await readBounded(await client.getObject(bucket, key), key, maxBytes)),
    remove: async (key) => { await about(key, async () => { await client.removeObject(bucket, key) }) },
    putStream: async (key, body, contentType) => { await about(key, async () => await client.putObject(bucket, key, body, undefined, type(contentType))) },
    putFile: async (key, path, contentType) => { await about(key, async () => await client.fPutObject(bucket, key, path, type(contentType))) },
    getFile: async (key, path) => { await about(key, async () => { await client.fGetObject(bucket, key, path) }) },
    stat: async (key) => await about(key, async () => {
      const s = await client.statObject(bucket, key)
      return { bytes: s.size, contentType: String(s.metaData['content-type'] ?? 'application/octet-stream') }
    }),
    getRange: async (key, offset, length) => await about(key, async () => await client.getPartialObject(bucket, key, offset, length)),
    async list (prefix) {
      return await about(prefix, async () => {
        const keys: string[] = []
        for await (const item of client.listObjectsV2(bucket, prefix, true)) {
          if (typeof (item as { name?: string }).name === 'string') keys.push((item as { name: string }).name)
        }
        return keys.sort()
      })
    },
    async removePrefix (prefix) {
      const keys = await this.list(prefix)
      if (keys.length > 0) await about(prefix, async () => { await client.removeObjects(bucket, keys) })
    },
    async ensureBucket () {
      try {
        if (!(await client.bucketExists(bucket))) await client.makeBucket(bucket, region)
      } catch (err) {
        if ((err as { code?: string }).code === 'BucketAlreadyOwnedByYou') return
        throw translate(err, bucket)
      }
    },
    async expire (rules) {
      await about(bucket, async () => {
        await client.setBucketLifecycle(bucket, {
          Rule: rules.map(({ prefix, days }) => ({
            ID: `faceblur-expire-${prefix.replace(/\W/g, '')}`,
            Status: 'Enabled',
            Filter: { Prefix: prefix },
            Expiration: { Days: days }
          }))
        })
      })
    },
    ready: async () => await answerWithin(2000, client.bucketExists(bucket), false)
  }
}
