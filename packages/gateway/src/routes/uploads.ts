// Accepting one upload: its file part read within the idle timeout, checked, stored in the bucket,
// and announced (PENDING and `submitted`). The routes and the door are in submit.ts.
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { MultipartFile } from '@fastify/multipart'
import {
  FaceBlurError, VIDEO_CONTAINERS, codecs, sniffVideoContainer, uploadKey, type BlurOptions, type ObjectRef, type SubmitResponse, type TaskKind,
  type TaskOptions, type TaskStatusV1, type TaskSubmittedV1, type VideoOptions
} from '@faceblur/contracts'
import { ANNOUNCED_HEADER, statusMessage } from '@faceblur/service-kit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { checkImage } from '../image-check.js'

export type Query = BlurOptions & VideoOptions

async function filePart (request: FastifyRequest, maxBytes: number): Promise<MultipartFile> {
  const part = await request.file({ limits: { fileSize: maxBytes, files: 1 } })
  if (part === undefined || part.fieldname !== 'file') {
    part?.file.resume()
    throw new FaceBlurError('FB_ERR_UPLOAD_MISSING_FILE', part === undefined
      ? 'multipart field "file" is required'
      : `multipart field "file" is required (got "${part.fieldname}")`)
  }
  return part
}

/** An image: read whole (bounded), checked from its header, stored, announced. */
export async function acceptImage (app: FastifyInstance, kind: TaskKind, request: FastifyRequest<{ Querystring: Query }>): Promise<SubmitResponse> {
  const part = await filePart(request, app.config.FACEBLUR_MAX_UPLOAD_BYTES)
  // A slot is held only while bytes arrive: an upload silent for the idle timeout is answered 408.
  const bytes = await withIdleTimeout(part.file, app.config.FACEBLUR_UPLOAD_IDLE_TIMEOUT_S * 1000, async () => await part.toBuffer())
  // Checked again here: multipart's own check can miss a limit hit on the very last chunk,
  // and a file cut at the limit can still look like a whole image.
  if (part.file.truncated) throw new FaceBlurError('FB_ERR_UPLOAD_TOO_LARGE', `the file is larger than ${app.config.FACEBLUR_MAX_UPLOAD_BYTES} bytes`)
  const image = await checkImage(bytes, app.config.FACEBLUR_MAX_PIXELS)

  const taskId = randomUUID()
  const source = { bucket: app.store.bucket, key: uploadKey(taskId), content_type: image.contentType, bytes: bytes.length }
  await app.store.put(source.key, bytes, image.contentType)
  const options = kind === 'blur' && Object.keys(request.query ?? {}).length > 0 ? { blur: request.query } : undefined
  await announce(app, request, taskId, kind, source, options)
  request.log.info({ task_id: taskId, kind, bytes: bytes.length, ...image }, 'task submitted')
  return { task_id: taskId }
}

/**
 * A video streams into the store as it arrives (never whole in memory). The container is judged
 * from its first bytes; its streams, length, size and rate are the video stage's to check.
 */
export async function acceptVideo (app: FastifyInstance, request: FastifyRequest<{ Querystring: Query }>): Promise<SubmitResponse> {
  const maxBytes = app.config.FACEBLUR_MAX_VIDEO_BYTES
  const part = await filePart(request, maxBytes)
  const idleMs = app.config.FACEBLUR_UPLOAD_IDLE_TIMEOUT_S * 1000
  // Read by hand (a for-await that stops early would destroy the stream), then handed on whole.
  const chunks = part.file[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const head = await withIdleTimeout(part.file, idleMs, async () => await readHead(chunks, 64))
  if (head.length === 0) throw new FaceBlurError('FB_ERR_UPLOAD_EMPTY')
  const container = sniffVideoContainer(head)
  if (container === undefined) {
    part.file.resume()
    throw new FaceBlurError('FB_ERR_VIDEO_UNSUPPORTED', 'not a video in a supported container (MP4, MOV, MKV or WebM, judged from the bytes)')
  }
  const taskId = randomUUID()
  const key = uploadKey(taskId)
  const contentType = VIDEO_CONTAINERS[container].contentType
  let bytes = 0
  const body = Readable.from((async function * () {
    bytes += head.length
    yield head
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) {
      bytes += next.value.length
      yield next.value
    }
  })())
  await withIdleTimeout(part.file, idleMs, async () => { await app.store.putStream(key, body, contentType) })
  if (part.file.truncated) {
    await app.store.remove(key).catch(() => {})
    throw new FaceBlurError('FB_ERR_UPLOAD_TOO_LARGE', `the video is larger than ${maxBytes} bytes`)
  }
  const { mode, shape, padding, keep_audio: keepAudio } = request.query ?? {}
  const blur = Object.fromEntries(Object.entries({ mode, shape, padding }).filter(([, v]) => v !== undefined))
  const options: TaskOptions = {
    ...(Object.keys(blur).length > 0 ? { blur } : {}),
    ...(keepAudio === undefined ? {} : { video: { keep_audio: keepAudio } })
  }
  await announce(app, request, taskId, 'video', { bucket: app.store.bucket, key, content_type: contentType, bytes }, Object.keys(options).length > 0 ? options : undefined)
  request.log.info({ task_id: taskId, kind: 'video', bytes, container }, 'task submitted')
  return { task_id: taskId }
}

/** Publishes the task's PENDING and its `submitted` event, and shows it in this gateway's view at once. */
async function announce (app: FastifyInstance, request: FastifyRequest, taskId: string, kind: TaskKind, source: ObjectRef, options: TaskOptions | undefined): Promise<void> {
  const now = new Date().toISOString()
  const owner = request.owner === undefined ? {} : { owner: request.owner }
  const submitted: TaskSubmittedV1 = { task_id: taskId, kind, source, ...(options === undefined ? {} : { options }), submitted_at: now, ...owner }
  const pending: TaskStatusV1 = { task_id: taskId, kind, status: 'PENDING', stage: 'gateway', at: now, ...owner }
  // PENDING first, on the same key: the view can never see the task start before it exists.
  await app.bus.publish([
    statusMessage(app.topics, pending),
    // Marked announced, so the detector does not publish a second PENDING.
    { topic: app.topics.submitted, key: taskId, value: codecs.taskSubmitted.encode(submitted), headers: { [ANNOUNCED_HEADER]: '1' } }
  ])
  app.view.apply(pending) // answer polls at once, before the feed brings the event back
  app.countUpload(kind, source.bytes)
}

/**
 * Runs `read` (which consumes `stream`), failing it with FB_ERR_UPLOAD_STALLED if the stream goes
 * `ms` without a chunk.
 */
async function withIdleTimeout<T> (stream: Readable, ms: number, read: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => { stream.destroy(new FaceBlurError('FB_ERR_UPLOAD_STALLED', `no bytes of the upload arrived for ${ms / 1000} s`)) }, ms)
  }
  stream.on('data', arm)
  arm()
  try {
    return await read()
  } finally {
    clearTimeout(timer)
    stream.off('data', arm)
  }
}

/** Takes chunks until `n` bytes (or the end) have arrived; the iterator goes on from there. */
async function readHead (chunks: AsyncIterator<Buffer>, n: number): Promise<Buffer> {
  const head: Buffer[] = []
  let have = 0
  while (have < n) {
    const next = await chunks.next()
    if (next.done === true) break
    head.push(next.value)
    have += next.value.length
  }
  return Buffer.concat(head)
}
