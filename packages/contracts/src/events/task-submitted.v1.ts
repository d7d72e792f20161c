import { Type, type Static } from '@sinclair/typebox'
import { BlurOptions, VideoOptions } from '../media.js'
import { ObjectRef, Owner, TaskId, TaskKind, Timestamp } from './common.js'

/** Per-task options. Every field is optional; the stage's configuration supplies defaults. */
export const TaskOptions = Type.Object({
  blur: Type.Optional(BlurOptions),
  video: Type.Optional(VideoOptions)
}, { additionalProperties: false })
export type TaskOptions = Static<typeof TaskOptions>

/** `faceblur.tasks.submitted` v1: an image (or, for `video`, a video) waiting in the bucket and what to do with it. */
export const TaskSubmittedV1 = Type.Object({
  version: Type.Optional(Type.Literal(1)),
  task_id: TaskId,
  kind: TaskKind,
  source: ObjectRef,
  options: Type.Optional(TaskOptions),
  submitted_at: Timestamp,
  /** The task's owner (set by the gateway when API keys are on): every status of the task carries it. */
  owner: Type.Optional(Owner)
}, { additionalProperties: false, $id: 'TaskSubmittedV1' })
export type TaskSubmittedV1 = Static<typeof TaskSubmittedV1>

export const exampleTaskSubmittedV1: TaskSubmittedV1 = {
  task_id: '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10',
  kind: 'blur',
  source: { bucket: 'faceblur', key: 'uploads/0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10', content_type: 'image/jpeg', bytes: 323103 },
  submitted_at: '2026-11-25T10:00:00.000Z'
}
