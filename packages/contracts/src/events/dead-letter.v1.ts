import { Type, type Static } from '@sinclair/typebox'
import { Timestamp } from './common.js'

/** `faceblur.tasks.dlq` v1: an event a stage could not accept, kept whole with the reason. */
export const DeadLetterV1 = Type.Object({
  version: Type.Optional(Type.Literal(1)),
  topic: Type.String(),
  partition: Type.Integer({ minimum: 0 }),
  offset: Type.String(),
  key: Type.Union([Type.String(), Type.Null()]),
  /** The original value as UTF-8 text (base64 when it was not valid UTF-8). */
  value: Type.String(),
  value_encoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
  task_id: Type.Optional(Type.String()),
  code: Type.String(),
  reason: Type.String(),
  stage: Type.String(),
  at: Timestamp
}, { additionalProperties: false, $id: 'DeadLetterV1' })
export type DeadLetterV1 = Static<typeof DeadLetterV1>
