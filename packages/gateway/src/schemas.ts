// JSON schemas of the HTTP API: they validate requests, shape responses and feed /docs.
import { BlurOptions, IMAGE_CONTENT_TYPES } from '@faceblur/contracts'

export const errorResponse = {
  $id: 'ErrorResponse',
  type: 'object',
  description: 'Every error: a stable code (see the README) and a message for people.',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string', pattern: '^FB_ERR_' }, message: { type: 'string' } },
      required: ['code', 'message']
    }
  },
  required: ['error']
} as const

const errors = (...codes: number[]): Record<number, { $ref: string }> =>
  Object.fromEntries(codes.map((c) => [c, { $ref: 'ErrorResponse#' }]))

/** Per-task blur options, as query parameters of `/blur_faces`. */
export const blurQuery = BlurOptions

export const submitSchema = {
  consumes: ['multipart/form-data'],
  description: 'Multipart form with the image in the field `file` (JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF; the format is read from the bytes).',
  response: {
    200: { type: 'object', properties: { task_id: { type: 'string', format: 'uuid' } }, required: ['task_id'] },
    ...errors(400, 401, 406, 413, 415, 422, 429, 503)
  }
}

const taskIdParams = {
  type: 'object',
  properties: { task_id: { type: 'string', description: 'the id POST answered' } },
  required: ['task_id']
} as const

export const taskResultSchema = {
  summary: 'A task\'s status and, once finished, its result (the original service\'s shapes)',
  params: taskIdParams,
  response: {
    200: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['PENDING', 'STARTED', 'SUCCESS', 'FAILURE'] },
        result: {
          description: 'Only on SUCCESS. Detection: {"face_1": {"facial_area": [x1, y1, x2, y2]}, …} ({} when no faces). Blur: the image as base64.',
          anyOf: [
            { type: 'string' },
            {
              type: 'object',
              additionalProperties: {
                type: 'object',
                properties: { facial_area: { type: 'array', items: { type: 'integer' }, minItems: 4, maxItems: 4 } },
                required: ['facial_area']
              }
            }
          ]
        },
        error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] }
      },
      required: ['status']
    },
    ...errors(400, 401, 404)
  }
}

export const resultImageSchema = {
  summary: 'A finished blur\'s image as bytes, with its content type',
  params: taskIdParams,
  produces: IMAGE_CONTENT_TYPES,
  response: {
    200: { description: 'the blurred image', type: 'string', format: 'binary' },
    ...errors(400, 401, 404, 409)
  }
}
