import type { Box } from './box.js'
import type { TaskState, TaskStatusV1 } from './events/task-status.v1.js'

/** `POST /detect_faces` and `POST /blur_faces` answer. */
export interface SubmitResponse { task_id: string }

/** The original service's detection result: `{ face_1: { facial_area: [x1, y1, x2, y2] }, … }`. */
export type DetectionResultBody = Record<string, { facial_area: Box }>

/** `GET /task_result/{task_id}` answer, compatible with the original service. */
export interface TaskResultResponse {
  status: TaskState
  /** Detection: face map; blur: the image as base64. Absent until `SUCCESS`. */
  result?: DetectionResultBody | string
  error?: { code: string, message: string }
}

/** JSON body of every gateway error. */
export interface ErrorResponse { error: { code: string, message: string } }

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
  if (status.status !== 'SUCCESS' || status.result === undefined) return { status: status.status }
  if (status.result.kind === 'detect') {
    return { status: 'SUCCESS', result: detectionResultBody(status.result.faces.map((f) => f.box)) }
  }
  return blurredBase64 === undefined ? { status: 'SUCCESS' } : { status: 'SUCCESS', result: blurredBase64 }
}
