// The routes' schemas, composed from the API's shapes in contracts: they validate requests, shape
// responses, type the handlers (TypeBox type provider) and feed /docs.
import { BlurOptions, ErrorResponse, IMAGE_CONTENT_TYPES, SubmitResponse, TaskIdParams, TaskResultResponse } from '@faceblur/contracts'
import { Type } from '@sinclair/typebox'

const errors = (...codes: number[]): Record<number, ReturnType<typeof Type.Ref>> =>
  Object.fromEntries(codes.map((c) => [c, Type.Ref(ErrorResponse)]))

export const submitSchema = {
  consumes: ['multipart/form-data'],
  description: 'Multipart form with the image in the field `file` (JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF; the format is read from the bytes).',
  response: { 200: SubmitResponse, ...errors(400, 401, 406, 408, 413, 415, 422, 429, 503) }
}

export const blurSubmitSchema = { ...submitSchema, querystring: BlurOptions }

export const taskResultSchema = {
  summary: 'A task\'s status and, once finished, its result (the original service\'s shapes)',
  params: TaskIdParams,
  response: { 200: TaskResultResponse, ...errors(400, 401, 404) }
}

export const resultImageSchema = {
  summary: 'A finished blur\'s image as bytes, with its content type',
  params: TaskIdParams,
  produces: IMAGE_CONTENT_TYPES,
  response: {
    200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'the blurred image' }),
    ...errors(400, 401, 404, 409)
  }
}
