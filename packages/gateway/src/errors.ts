import { ERRORS, FaceBlurError, type ErrorCode, type ErrorResponse } from '@faceblur/contracts'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

/** Library errors that mean a known client mistake, mapped once to our codes. */
const LIBRARY_CODES: Record<string, ErrorCode> = {
  FST_REQ_FILE_TOO_LARGE: 'FB_ERR_UPLOAD_TOO_LARGE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'FB_ERR_UPLOAD_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'FB_ERR_UPLOAD_NOT_MULTIPART',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'FB_ERR_UPLOAD_NOT_MULTIPART',
  FST_PARTS_LIMIT: 'FB_ERR_UPLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'FB_ERR_UPLOAD_TOO_LARGE',
  FST_ERR_VALIDATION: 'FB_ERR_REQUEST_INVALID'
}

export function toFaceBlurError (err: FastifyError | FaceBlurError | Error): FaceBlurError {
  if (err instanceof FaceBlurError) return err
  const code = (err as FastifyError).code
  const mapped = code === undefined ? undefined : LIBRARY_CODES[code]
  if (mapped !== undefined) return new FaceBlurError(mapped, mapped === 'FB_ERR_REQUEST_INVALID' ? err.message : ERRORS[mapped].message, { cause: err })
  const status = (err as FastifyError).statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    // Any other client error fastify raised (bad JSON, unsupported content type, …).
    const e = new FaceBlurError('FB_ERR_UPLOAD_NOT_MULTIPART', err.message, { cause: err })
    return Object.assign(e, { statusCode: status })
  }
  return new FaceBlurError('FB_ERR_INTERNAL', 'internal error', { cause: err })
}

export function errorBody (err: FaceBlurError): ErrorResponse {
  return { error: { code: err.code, message: err.message } }
}

/** The one error handler: every failure leaves as `{ error: { code, message } }` JSON. */
export function handleError (this: unknown, err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const coded = toFaceBlurError(err)
  if (coded.statusCode >= 500) request.log.error({ err }, 'request failed')
  else request.log.info({ code: coded.code, reason: coded.message }, 'request refused')
  if (coded.retriable && !reply.hasHeader('retry-after')) void reply.header('retry-after', '5')
  void reply.code(coded.statusCode).send(errorBody(coded))
}
