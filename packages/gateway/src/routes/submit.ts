import { FaceBlurError, type SubmitResponse, type TaskKind } from '@faceblur/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { uploadSlots } from '../upload-slots.js'
import { blurSubmitSchema, submitSchema, videoSubmitSchema } from '../schemas.js'
import { acceptImage, acceptVideo, type Query } from './uploads.js'

/** `POST /detect_faces`, `/blur_faces` and `/blur_video`: store the upload, publish `submitted`, answer the id. */
export const submitRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const slots = uploadSlots(app.config.FACEBLUR_MAX_CONCURRENT_UPLOADS, app.config.FACEBLUR_MAX_UPLOADS_PER_CLIENT)

  const submit = (kind: TaskKind) => async (request: FastifyRequest<{ Querystring: Query }>): Promise<SubmitResponse> => {
    // Admission first, before reading a byte: a full gateway or pipeline says so at once.
    if (app.view.unfinished >= app.config.FACEBLUR_MAX_BACKLOG) {
      throw new FaceBlurError('FB_ERR_BACKLOG_FULL', `${app.view.unfinished} tasks unfinished (limit ${app.config.FACEBLUR_MAX_BACKLOG})`)
    }
    if (!request.isMultipart()) throw new FaceBlurError('FB_ERR_UPLOAD_NOT_MULTIPART')
    const release = slots.take(request.owner ?? request.ip)
    try {
      return kind === 'video' ? await acceptVideo(app, request) : await acceptImage(app, kind, request)
    } finally {
      release()
    }
  }

  const limited = app.config.FACEBLUR_RATE_LIMIT_PER_MINUTE > 0 ? { config: { rateLimit: {} } } : {}
  app.post('/detect_faces', { ...limited, schema: { ...submitSchema, summary: 'Detect faces; the result is their boxes' } }, submit('detect'))
  app.post('/blur_faces', { ...limited, schema: { ...blurSubmitSchema, summary: 'Blur every face; the result is the image' } }, submit('blur'))
  app.post('/blur_video', { ...limited, schema: { ...videoSubmitSchema, summary: 'Blur every face in every frame; the result is an MP4' } }, submit('video'))
}
