import { Type, type Static } from '@sinclair/typebox'
import { Face, ImageSize } from '../box.js'
import { ObjectRef, Owner, TaskId, TaskKind, Timestamp } from './common.js'
import { TaskOptions } from './task-submitted.v1.js'

/** Which model found the faces, and on which execution provider it ran. */
export const ModelInfo = Type.Object({
  name: Type.String(),
  /** The weights' licence (added after v1 shipped: optional, so older events stay valid). */
  licence: Type.Optional(Type.String()),
  sha256: Type.String(),
  provider: Type.String()
}, { additionalProperties: false })
export type ModelInfo = Static<typeof ModelInfo>

/** `faceblur.faces.detected` v1: the detector's output for a blur task, input of the blurrer. */
export const FacesDetectedV1 = Type.Object({
  version: Type.Optional(Type.Literal(1)),
  task_id: TaskId,
  kind: TaskKind,
  source: ObjectRef,
  options: Type.Optional(TaskOptions),
  image: ImageSize,
  faces: Type.Array(Face),
  model: ModelInfo,
  detected_at: Timestamp,
  owner: Type.Optional(Owner)
}, { additionalProperties: false, $id: 'FacesDetectedV1' })
export type FacesDetectedV1 = Static<typeof FacesDetectedV1>

export const exampleFacesDetectedV1: FacesDetectedV1 = {
  task_id: '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10',
  kind: 'blur',
  source: { bucket: 'faceblur', key: 'uploads/0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10', content_type: 'image/jpeg', bytes: 323103 },
  image: { width: 1634, height: 1000 },
  faces: [{ box: [229, 178, 619, 697], score: 0.91 }, { box: [1044, 241, 1465, 801], score: 0.89 }],
  model: { name: 'yolov8n-face', sha256: '52d50f2c689f935251b6e492f1934bfc9086d2853c2628667cbdb28ef8a76178', provider: 'cpu' },
  detected_at: '2026-11-25T10:00:00.120Z'
}
