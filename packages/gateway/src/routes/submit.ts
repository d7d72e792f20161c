import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import {
  FaceBlurError, codecs, uploadKey, type BlurOptions, type SubmitResponse, type TaskKind, type TaskStatusV1, type TaskSubmittedV1
} from '@faceblur/contracts'
import { ANNOUNCED_HEADER, statusMessage } from '@faceblur/service-kit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { checkImage } from '../image-check.js'
import { blurSubmitSchema, submitSchema } from '../schemas.js'

/** `POST /detect_faces` and `POST /blur_faces`: store the upload, publish `submitted`, answer the id. */
export const submitRoutes: FastifyPluginAsyncTypebox = async (app) => {
  let inFlight = 0

  const submit = (kind: TaskKind) => async (request: FastifyRequest<{ Querystring: BlurOptions }>): Promise<SubmitResponse> => {
    // Admission first, before reading a byte: a full gateway or pipeline says so at once.
    if (inFlight >= app.config.FACEBLUR_MAX_CONCURRENT_UPLOADS) {
      throw new FaceBlurError('FB_ERR_TOO_MANY_UPLOADS', `${inFlight} uploads in progress (limit ${app.config.FACEBLUR_MAX_CONCURRENT_UPLOADS})`)
    }
    if (app.view.unfinished >= app.config.FACEBLUR_MAX_BACKLOG) {
      throw new FaceBlurError('FB_ERR_BACKLOG_FULL', `${app.view.unfinished} tasks unfinished (limit ${app.config.FACEBLUR_MAX_BACKLOG})`)
    }
    if (!request.isMultipart()) throw new FaceBlurError('FB_ERR_UPLOAD_NOT_MULTIPART')
    inFlight++
    try {
      return await accept(kind, request)
    } finally {
      inFlight--
    }
  }

  async function accept (kind: TaskKind, request: FastifyRequest<{ Querystring: BlurOptions }>): Promise<SubmitResponse> {
    const part = await request.file({ limits: { fileSize: app.config.FACEBLUR_MAX_UPLOAD_BYTES, files: 1 } })
    if (part === undefined || part.fieldname !== 'file') {
      part?.file.resume()
      throw new FaceBlurError('FB_ERR_UPLOAD_MISSING_FILE', part === undefined
        ? 'multipart field "file" is required'
        : `multipart field "file" is required (got "${part.fieldname}")`)
    }
    // A slot is held only while bytes arrive: an upload silent for the idle timeout is answered 408.
    const bytes = await withIdleTimeout(part.file, app.config.FACEBLUR_UPLOAD_IDLE_TIMEOUT_S * 1000, async () => await part.toBuffer())
    // Checked again here: multipart's own check can miss a limit hit on the very last chunk,
    // and a file cut at the limit can still look like a whole image.
    if (part.file.truncated) throw new FaceBlurError('FB_ERR_UPLOAD_TOO_LARGE', `the file is larger than ${app.config.FACEBLUR_MAX_UPLOAD_BYTES} bytes`)
    const image = await checkImage(bytes, app.config.FACEBLUR_MAX_PIXELS)

    const taskId = randomUUID()
    const log = request.log.child({ task_id: taskId, kind })
    const source = { bucket: app.store.bucket, key: uploadKey(taskId), content_type: image.contentType, bytes: bytes.length }
    await app.store.put(source.key, bytes, image.contentType)
    const now = new Date().toISOString()
    const options = kind === 'blur' && Object.keys(request.query ?? {}).length > 0 ? { options: { blur: request.query } } : {}
    const owner = request.owner === undefined ? {} : { owner: request.owner }
    const submitted: TaskSubmittedV1 = { task_id: taskId, kind, source, ...options, submitted_at: now, ...owner }
    const pending: TaskStatusV1 = { task_id: taskId, kind, status: 'PENDING', stage: 'gateway', at: now, ...owner }
    // PENDING first, on the same key: the view can never see the task start before it exists.
    await app.bus.publish([
      statusMessage(app.topics, pending),
      // Marked announced, so the detector does not publish a second PENDING.
      { topic: app.topics.submitted, key: taskId, value: codecs.taskSubmitted.encode(submitted), headers: { [ANNOUNCED_HEADER]: '1' } }
    ])
    app.view.apply(pending) // answer polls at once, before the feed brings the event back
    app.countUpload(kind, bytes.length)
    log.info({ bytes: bytes.length, ...image }, 'task submitted')
    return { task_id: taskId }
  }

  const limited = app.config.FACEBLUR_RATE_LIMIT_PER_MINUTE > 0 ? { config: { rateLimit: {} } } : {}
  app.post('/detect_faces', { ...limited, schema: { ...submitSchema, summary: 'Detect faces; the result is their boxes' } }, submit('detect'))
  app.post('/blur_faces', { ...limited, schema: { ...blurSubmitSchema, summary: 'Blur every face; the result is the image' } }, submit('blur'))
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
