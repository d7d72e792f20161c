import { Type, type Static } from '@sinclair/typebox'
import { TASK_ID_PATTERN } from '../object-keys.js'

export const TaskId = Type.String({ pattern: TASK_ID_PATTERN })
export const TaskKind = Type.Union([Type.Literal('detect'), Type.Literal('blur'), Type.Literal('video')])
export type TaskKind = Static<typeof TaskKind>
/** The kinds a still image can be submitted as (`video` takes a video). */
export type ImageTaskKind = Exclude<TaskKind, 'video'>

/** Where an image lives in the object store. */
export const ObjectRef = Type.Object({
  bucket: Type.String({ minLength: 3 }),
  key: Type.String({ minLength: 1 }),
  content_type: Type.String({ minLength: 1 }),
  bytes: Type.Integer({ minimum: 1 })
}, { additionalProperties: false })
export type ObjectRef = Static<typeof ObjectRef>

export const Timestamp = Type.String({ format: 'date-time' })

/** Who may see a task: a hash of the API key that created it (never the key itself). */
export const Owner = Type.String({ pattern: '^[0-9a-f]{16,64}$' })
