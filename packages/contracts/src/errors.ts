/**
 * Every error code FaceBlur emits, in one place: the gateway's JSON errors and a task's `FAILURE`
 * carry these codes. `retriable` says whether trying the same work again can succeed (a stage
 * retries or dead-letters by this flag, never by message text). Retired codes are never reused.
 */
export const ERRORS = Object.freeze({
  FB_ERR_UPLOAD_MISSING_FILE: { status: 400, retriable: false, message: 'multipart field "file" is required' },
  FB_ERR_UPLOAD_NOT_MULTIPART: { status: 406, retriable: false, message: 'the request must be multipart/form-data' },
  FB_ERR_UPLOAD_EMPTY: { status: 422, retriable: false, message: 'the uploaded file is empty' },
  FB_ERR_UPLOAD_STALLED: { status: 408, retriable: true, message: 'the upload stopped sending bytes' },
  FB_ERR_UPLOAD_TOO_LARGE: { status: 413, retriable: false, message: 'the uploaded file is larger than the limit' },
  FB_ERR_IMAGE_UNSUPPORTED: { status: 415, retriable: false, message: 'the file is not an image in a supported format' },
  FB_ERR_IMAGE_UNDECODABLE: { status: 422, retriable: false, message: 'the image could not be decoded (truncated or corrupt)' },
  FB_ERR_IMAGE_TOO_MANY_PIXELS: { status: 422, retriable: false, message: 'the image has more pixels than the limit' },
  FB_ERR_VIDEO_UNSUPPORTED: { status: 415, retriable: false, message: 'the file is not a video in a supported container (MP4, MOV, MKV, WebM)' },
  FB_ERR_VIDEO_UNDECODABLE: { status: 422, retriable: false, message: 'the video could not be decoded (truncated or corrupt)' },
  FB_ERR_VIDEO_NO_VIDEO_STREAM: { status: 422, retriable: false, message: 'the file has no video stream' },
  FB_ERR_VIDEO_TOO_LONG: { status: 422, retriable: false, message: 'the video is longer than the limit' },
  FB_ERR_VIDEO_TOO_LARGE: { status: 422, retriable: false, message: 'the video has more pixels per frame or frames per second than the limit' },
  FB_ERR_RANGE_NOT_SATISFIABLE: { status: 416, retriable: false, message: 'the requested byte range is outside the result' },
  FB_ERR_REQUEST_INVALID: { status: 400, retriable: false, message: 'the request parameters are invalid' },
  FB_ERR_AUTH_REQUIRED: { status: 401, retriable: false, message: 'an API key is required (header x-api-key or Authorization: Bearer)' },
  FB_ERR_AUTH_INVALID: { status: 401, retriable: false, message: 'the API key is not valid' },
  FB_ERR_RATE_LIMITED: { status: 429, retriable: true, message: 'too many requests for this key; slow down' },
  FB_ERR_TOO_MANY_UPLOADS: { status: 429, retriable: true, message: 'too many uploads in progress; try again shortly' },
  FB_ERR_BACKLOG_FULL: { status: 503, retriable: true, message: 'the pipeline has too many unfinished tasks; try again later' },
  FB_ERR_TASK_ID_INVALID: { status: 400, retriable: false, message: 'task ids are UUIDs' },
  FB_ERR_TASK_NOT_FOUND: { status: 404, retriable: false, message: 'no such task' },
  FB_ERR_ROUTE_NOT_FOUND: { status: 404, retriable: false, message: 'no such route' },
  FB_ERR_RESULT_NOT_READY: { status: 409, retriable: true, message: 'the task has no result yet' },
  FB_ERR_EVENT_INVALID: { status: 422, retriable: false, message: 'the event does not match its schema' },
  FB_ERR_SOURCE_MISSING: { status: 422, retriable: false, message: 'the source image is not in the object store' },
  FB_ERR_SOURCE_REFUSED: { status: 422, retriable: false, message: 'the event names a source outside uploads/{task_id} of the configured bucket, or one over the upload limit' },
  FB_ERR_TASK_TIMEOUT: { status: 504, retriable: false, message: 'the task ran past its deadline' },
  FB_ERR_EXPIRED: { status: 504, retriable: false, message: 'the task was not finished within the longest a task may wait' },
  FB_ERR_BUS_REFUSED: { status: 500, retriable: false, message: 'the event bus refused a message (too large or invalid)' },
  FB_ERR_STORAGE_UNAVAILABLE: { status: 503, retriable: true, message: 'the object store is unavailable' },
  FB_ERR_BUS_UNAVAILABLE: { status: 503, retriable: true, message: 'the event bus is unavailable' },
  FB_ERR_INTERNAL: { status: 500, retriable: false, message: 'internal error' }
} as const)

export type ErrorCode = keyof typeof ERRORS

export class FaceBlurError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly retriable: boolean

  constructor (code: ErrorCode, message: string = ERRORS[code].message, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FaceBlurError'
    this.code = code
    this.statusCode = ERRORS[code].status
    this.retriable = ERRORS[code].retriable
  }
}

export const isFaceBlurError = (err: unknown): err is FaceBlurError => err instanceof FaceBlurError
