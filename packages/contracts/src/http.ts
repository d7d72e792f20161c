// The HTTP and WebSocket API's shapes, as TypeBox schemas: one source for the gateway's types, its
// request validation, its response serialisation and the OpenAPI document at /docs.
import { Type, type Static } from '@sinclair/typebox'
import { Box } from './box.js'
import { TaskId, TaskKind, Timestamp } from './events/common.js'
import { Progress, Stage, TaskState, type TaskStatusV1, type VideoResult } from './events/task-status.v1.js'
import { VideoFaceCounts } from './events/video.v1.js'

/** The `error` of every failure: a stable code (see the README) and a message for people. */
export const ApiError = Type.Object({
  code: Type.String({ pattern: '^FB_ERR_[A-Z0-9_]+$' }),
  message: Type.String()
})
export type ApiError = Static<typeof ApiError>

/** JSON body of every gateway error. */
export const ErrorResponse = Type.Object({ error: ApiError }, {
  $id: 'ErrorResponse',
  description: 'Every error: a stable code (see the README) and a message for people.'
})
export type ErrorResponse = Static<typeof ErrorResponse>

/** `POST /detect_faces` and `POST /blur_faces` answer. */
export const SubmitResponse = Type.Object({ task_id: Type.String({ format: 'uuid' }) })
export type SubmitResponse = Static<typeof SubmitResponse>

/** The `{task_id}` of a URL; checked by the route (a coded 400), not by the schema. */
export const TaskIdParams = Type.Object({ task_id: Type.String({ description: 'the id POST answered' }) })
export type TaskIdParams = Static<typeof TaskIdParams>

/** The original service's detection result: `{ face_1: { facial_area: [x1, y1, x2, y2] }, … }`. */
export const DetectionResultBody = Type.Record(Type.String(), Type.Object({ facial_area: Box }))
export type DetectionResultBody = Static<typeof DetectionResultBody>

/** A finished video: where it is and what it held. */
export const VideoResultBody = Type.Object({
  result_url: Type.String(),
  content_type: Type.String(),
  frames: Type.Integer(),
  duration_s: Type.Number(),
  faces: VideoFaceCounts
}, { additionalProperties: false })
export type VideoResultBody = Static<typeof VideoResultBody>

/** `GET /task_result/{task_id}` answer, compatible with the original service. */
export const TaskResultResponse = Type.Object({
  status: TaskState,
  result: Type.Optional(Type.Union([Type.String(), VideoResultBody, DetectionResultBody], {
    description: 'Only on SUCCESS. Detection: {"face_1": {"facial_area": [x1, y1, x2, y2]}, …} ({} when no faces). Blur: the image as base64. ' +
      'Video: {"result_url", "content_type", "frames", "duration_s", "faces": {"frames_with_faces", "max_in_a_frame"}}.'
  })),
  progress: Type.Optional(Progress),
  error: Type.Optional(ApiError)
})
export type TaskResultResponse = Static<typeof TaskResultResponse>

/** What a client sends on `/ws`. */
export const WsSubscribe = Type.Object({
  subscribe: Type.Array(Type.Unknown(), { maxItems: 1000, description: 'task ids; each is answered, an invalid one with an error' })
})
export type WsSubscribe = Static<typeof WsSubscribe>

/** A task's state on `/ws`: at once on subscribing, then at every transition. */
export const WsStatusMessage = Type.Object({
  type: Type.Literal('status'),
  task_id: TaskId,
  kind: TaskKind,
  status: TaskState,
  stage: Stage,
  at: Timestamp,
  /** On a detection's or a video's SUCCESS: the poll endpoint's result. */
  result: Type.Optional(Type.Union([VideoResultBody, DetectionResultBody])),
  /** On a blur's or a video's SUCCESS: where the image or video is. */
  result_url: Type.Optional(Type.String()),
  /** While a video runs. */
  progress: Type.Optional(Progress),
  error: Type.Optional(ApiError)
})
export type WsStatusMessage = Static<typeof WsStatusMessage>

/** A refused message or subscription on `/ws`. */
export const WsErrorMessage = Type.Object({
  type: Type.Literal('error'),
  task_id: Type.Optional(Type.Unknown()),
  error: ApiError
})
export type WsErrorMessage = Static<typeof WsErrorMessage>

const resultUrl = (taskId: string): string => `/results/${taskId}`

export const videoResultBody = (taskId: string, r: VideoResult): VideoResultBody =>
  ({ result_url: resultUrl(taskId), content_type: r.object.content_type, frames: r.frames, duration_s: r.duration_s, faces: r.faces })

export function detectionResultBody (boxes: readonly Box[]): DetectionResultBody {
  const body: DetectionResultBody = {}
  boxes.forEach((box, i) => { body[`face_${i + 1}`] = { facial_area: box } })
  return body
}

/**
 * Maps a task's current status to the poll answer. A blur's base64 image lives in the object
 * store, so the caller loads it and passes it in.
 */
export function taskResultResponse (status: TaskStatusV1, blurredBase64?: string): TaskResultResponse {
  if (status.status === 'FAILURE') {
    return { status: 'FAILURE', error: status.error ?? { code: 'FB_ERR_INTERNAL', message: 'internal error' } }
  }
  if (status.status !== 'SUCCESS' || status.result === undefined) {
    return status.progress === undefined ? { status: status.status } : { status: status.status, progress: status.progress }
  }
  if (status.result.kind === 'video') return { status: 'SUCCESS', result: videoResultBody(status.task_id, status.result) }
  if (status.result.kind === 'detect') {
    return { status: 'SUCCESS', result: detectionResultBody(status.result.faces.map((f) => f.box)) }
  }
  return blurredBase64 === undefined ? { status: 'SUCCESS' } : { status: 'SUCCESS', result: blurredBase64 }
}

/** A task's state as `/ws` sends it. */
export function wsStatusMessage (s: TaskStatusV1): WsStatusMessage {
  const base: WsStatusMessage = { type: 'status', task_id: s.task_id, kind: s.kind, status: s.status, stage: s.stage, at: s.at }
  if (s.status === 'FAILURE') return { ...base, error: s.error ?? { code: 'FB_ERR_INTERNAL', message: 'internal error' } }
  if (s.status !== 'SUCCESS' || s.result === undefined) return s.progress === undefined ? base : { ...base, progress: s.progress }
  if (s.result.kind === 'blur') return { ...base, result_url: resultUrl(s.task_id) }
  if (s.result.kind === 'video') return { ...base, result_url: resultUrl(s.task_id), result: videoResultBody(s.task_id, s.result) }
  return { ...base, result: detectionResultBody(s.result.faces.map((f) => f.box)) }
}
