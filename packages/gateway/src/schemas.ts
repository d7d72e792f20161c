// The routes' schemas, composed from the API's shapes in contracts: they validate requests, shape
// responses, type the handlers (TypeBox type provider) and feed /docs.
import { BlurOptions, ErrorResponse, IMAGE_CONTENT_TYPES, SubmitResponse, TaskIdParams, TaskResultResponse, VIDEO_RESULT_CONTENT_TYPE, VideoOptions } from '@faceblur/contracts'
import type { Readable } from 'node:stream'
import { Type } from '@sinclair/typebox'

const errors = (...codes: number[]): Record<number, ReturnType<typeof Type.Ref>> =>
  Object.fromEntries(codes.map((c) => [c, Type.Ref(ErrorResponse)]))

export const submitSchema = {
  consumes: ['multipart/form-data'],
  description: 'Multipart form with the image in the field `file` (JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF; the format is read from the bytes).',
  response: { 200: SubmitResponse, ...errors(400, 401, 406, 408, 413, 415, 422, 429, 503) }
}

export const blurSubmitSchema = { ...submitSchema, querystring: BlurOptions }

/** `/blur_video`'s query: the blur's options and the video's, flat. */
export const VideoSubmitQuery = Type.Composite([BlurOptions, VideoOptions], { additionalProperties: false })

export const videoSubmitSchema = {
  consumes: ['multipart/form-data'],
  description: 'Multipart form with the video in the field `file` (MP4, MOV, MKV or WebM; the container is read from the bytes). ' +
    'The result is an H.264 MP4 with every face blurred in every frame; follow the task for its progress.',
  querystring: VideoSubmitQuery,
  response: { 200: SubmitResponse, ...errors(400, 401, 406, 408, 413, 415, 422, 429, 503) }
}

export const taskResultSchema = {
  summary: 'A task\'s status and, once finished, its result (the original service\'s shapes)',
  params: TaskIdParams,
  response: { 200: TaskResultResponse, ...errors(400, 401, 404) }
}

export const resultImageSchema = {
  summary: 'A finished blur\'s image or video as bytes, with its content type (videos take HTTP range requests)',
  params: TaskIdParams,
  produces: [...IMAGE_CONTENT_TYPES, VIDEO_RESULT_CONTENT_TYPE],
  response: {
    200: Type.Unsafe<Buffer | Readable>({ type: 'string', format: 'binary', description: 'the blurred image or video' }),
    206: Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'the requested range of the video' }),
    ...errors(400, 401, 404, 409, 416)
  }
}
