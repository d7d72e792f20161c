import type { FaceModel } from './face-model.js'
import { yolov8Face } from './yolov8-face.js'
import { yunet } from './yunet.js'

export type { FaceModel, SessionLayout } from './face-model.js'
export { yolov8Face, yunet }

/** The models `FACEBLUR_MODEL` can name, with the family each runs as (the INT8 export decodes as fp32). */
export const MODELS = {
  'yolov8n-face': yolov8Face,
  'yolov8n-face-int8': yolov8Face,
  'yunet-n': yunet
} as const satisfies Record<string, FaceModel>
export type ModelName = keyof typeof MODELS
export const MODEL_NAMES = Object.keys(MODELS) as ModelName[]
