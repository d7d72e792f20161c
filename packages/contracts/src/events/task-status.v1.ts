import { Type, type Static } from '@sinclair/typebox'
import { Face, ImageSize } from '../box.js'
import { ObjectRef, Owner, TaskId, TaskKind, Timestamp } from './common.js'
import { ModelInfo } from './faces-detected.v1.js'
import { VideoFaceCounts } from './video.v1.js'

export const TaskState = Type.Union([
  Type.Literal('PENDING'), Type.Literal('STARTED'), Type.Literal('SUCCESS'), Type.Literal('FAILURE')
])
export type TaskState = Static<typeof TaskState>

/** Which stage published the transition, in pipeline order. */
export const Stage = Type.Union([Type.Literal('gateway'), Type.Literal('detector'), Type.Literal('blurrer'), Type.Literal('video')])
export type Stage = Static<typeof Stage>

export const DetectResult = Type.Object({
  kind: Type.Literal('detect'),
  image: ImageSize,
  faces: Type.Array(Face),
  model: ModelInfo
}, { additionalProperties: false })
export type DetectResult = Static<typeof DetectResult>

export const BlurResult = Type.Object({
  kind: Type.Literal('blur'),
  object: ObjectRef,
  faces: Type.Array(Face),
  model: ModelInfo
}, { additionalProperties: false })
export type BlurResult = Static<typeof BlurResult>

export const VideoResult = Type.Object({
  kind: Type.Literal('video'),
  object: ObjectRef,
  frames: Type.Integer({ minimum: 1 }),
  duration_s: Type.Number({ minimum: 0 }),
  faces: VideoFaceCounts,
  model: ModelInfo
}, { additionalProperties: false })
export type VideoResult = Static<typeof VideoResult>

/** How far a long task (a video) has got: on its `STARTED` events, growing. */
export const Progress = Type.Object({
  frames_done: Type.Integer({ minimum: 0 }),
  frames_total: Type.Integer({ minimum: 0 })
}, { additionalProperties: false })
export type Progress = Static<typeof Progress>

export const TaskError = Type.Object({
  code: Type.String({ pattern: '^FB_ERR_[A-Z0-9_]+$' }),
  message: Type.String()
}, { additionalProperties: false })
export type TaskError = Static<typeof TaskError>

/** `faceblur.tasks.status` v1: one transition of one task. */
export const TaskStatusV1 = Type.Object({
  version: Type.Optional(Type.Literal(1)),
  task_id: TaskId,
  kind: TaskKind,
  status: TaskState,
  stage: Stage,
  at: Timestamp,
  result: Type.Optional(Type.Union([DetectResult, BlurResult, VideoResult])),
  progress: Type.Optional(Progress),
  error: Type.Optional(TaskError),
  /**
   * Who may see the task: a hash of the API key that created it (never the key). On every status
   * of a task created with API keys on, so it survives the `PENDING` ageing out of the topic.
   */
  owner: Type.Optional(Owner)
}, { additionalProperties: false, $id: 'TaskStatusV1' })
export type TaskStatusV1 = Static<typeof TaskStatusV1>

export const exampleTaskStatusV1: TaskStatusV1 = {
  task_id: '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10',
  kind: 'detect',
  status: 'SUCCESS',
  stage: 'detector',
  at: '2026-11-25T10:00:00.120Z',
  result: {
    kind: 'detect',
    image: { width: 1634, height: 1000 },
    faces: [{ box: [229, 178, 619, 697], score: 0.91 }],
    model: { name: 'yolov8n-face', sha256: '52d50f2c689f935251b6e492f1934bfc9086d2853c2628667cbdb28ef8a76178', provider: 'cpu' }
  }
}
