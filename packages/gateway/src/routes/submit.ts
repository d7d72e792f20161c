import { randomUUID } from 'node:crypto'
import {
  FaceBlurError, codecs, uploadKey, type SubmitResponse, type TaskKind, type TaskStatusV1, type TaskSubmittedV1
} from '@faceblur/contracts'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { checkImage } from '../image-check.js'

/** Per-task blur options, as query parameters of `/blur_faces`; the blurrer's configuration supplies the rest. */
const blurQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { type: 'string', enum: ['gaussian', 'pixelate', 'solid'] },
    shape: { type: 'string', enum: ['rectangle', 'ellipse'] },
    padding: { type: 'number', minimum: 0, maximum: 1 }
  }
} as const

interface BlurQuery { mode?: 'gaussian' | 'pixelate' | 'solid', shape?: 'rectangle' | 'ellipse', padding?: number }

const submitSchema = {
  consumes: ['multipart/form-data'],
  response: {
    200: { type: 'object', properties: { task_id: { type: 'string', format: 'uuid' } }, required: ['task_id'] }
  }
}

/** `POST /detect_faces` and `POST /blur_faces`: store the upload, publish `submitted`, answer the id. */
export const submitRoutes: FastifyPluginAsync = async (app) => {
  const submit = (kind: TaskKind) => async (request: FastifyRequest<{ Querystring: BlurQuery }>): Promise<SubmitResponse> => {
    if (!request.isMultipart()) throw new FaceBlurError('FB_ERR_UPLOAD_NOT_MULTIPART')
    const part = await request.file({ limits: { fileSize: app.config.FACEBLUR_MAX_UPLOAD_BYTES, files: 1 } })
    if (part === undefined || part.fieldname !== 'file') {
      part?.file.resume()
      throw new FaceBlurError('FB_ERR_UPLOAD_MISSING_FILE', part === undefined
        ? 'multipart field "file" is required'
        : `multipart field "file" is required (got "${part.fieldname}")`)
    }
    const bytes = await part.toBuffer()
    const image = await checkImage(bytes, app.config.FACEBLUR_MAX_PIXELS)

    const taskId = randomUUID()
    const log = request.log.child({ task_id: taskId, kind })
    const source = { bucket: app.store.bucket, key: uploadKey(taskId), content_type: image.contentType, bytes: bytes.length }
    await app.store.put(source.key, bytes, image.contentType)
    const now = new Date().toISOString()
    const blur = kind === 'blur' && Object.keys(request.query ?? {}).length > 0 ? { blur: request.query } : undefined
    const submitted: TaskSubmittedV1 = { task_id: taskId, kind, source, ...(blur === undefined ? {} : { options: blur }), submitted_at: now }
    const pending: TaskStatusV1 = { task_id: taskId, kind, status: 'PENDING', stage: 'gateway', at: now }
    await app.bus.publish([
      { topic: app.topics.status, key: taskId, value: codecs.taskStatus.encode(pending) },
      { topic: app.topics.submitted, key: taskId, value: codecs.taskSubmitted.encode(submitted) }
    ])
    app.view.apply(pending) // answer polls at once, before the feed brings the event back
    log.info({ bytes: bytes.length, ...image }, 'task submitted')
    return { task_id: taskId }
  }

  app.post('/detect_faces', { schema: { ...submitSchema, summary: 'Detect faces; the result is their boxes' } }, submit('detect'))
  app.post('/blur_faces', { schema: { ...submitSchema, querystring: blurQuery, summary: 'Blur every face; the result is the image' } }, submit('blur'))
}
