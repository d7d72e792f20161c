import { Type, type Static } from '@sinclair/typebox'
import { Timestamp } from './common.js'

/**
 * `faceblur.tasks.dlq` v1: an event a stage could not accept, with the reason. The letter is
 * bounded whatever the event's size, so the broker can never refuse it: `value` is a preview of
 * at most a few KiB, and `value_bytes` with `value_sha256` identify the whole original.
 */
export const DeadLetterV1 = Type.Object({
  version: Type.Optional(Type.Literal(1)),
  topic: Type.String(),
  partition: Type.Integer({ minimum: 0 }),
  offset: Type.String(),
  key: Type.Union([Type.String({ maxLength: 256 }), Type.Null()]),
  /** The start of the original value as UTF-8 text (base64 when it was not valid UTF-8). */
  value: Type.String(),
  value_encoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
  /** True when `value` holds only the start of the original. */
  value_truncated: Type.Boolean(),
  value_bytes: Type.Integer({ minimum: 0 }),
  value_sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  task_id: Type.Optional(Type.String()),
  code: Type.String(),
  reason: Type.String({ maxLength: 2048 }),
  stage: Type.String(),
  at: Timestamp
}, { additionalProperties: false, $id: 'DeadLetterV1' })
export type DeadLetterV1 = Static<typeof DeadLetterV1>
