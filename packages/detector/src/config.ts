import { Type } from '@sinclair/typebox'
import { loadEnvConfig, StageEnv } from '@faceblur/service-kit'
import { VideoToolsEnv } from '@faceblur/media'
import { MAX_BATCH } from './batching.js'
import type { DetectorOptions } from './detector.js'
import { MODEL_NAMES, MODELS } from './models/index.js'

export const DetectorEnv = {
  ...StageEnv,
  ...VideoToolsEnv,
  FACEBLUR_MODEL_PATH: Type.String({ minLength: 1, description: 'the model\'s ONNX file (`node models/fetch.mjs [model]` prints the cached one)' }),
  FACEBLUR_MODEL: Type.Union(MODEL_NAMES.map((name) => Type.Literal(name)), { default: 'yunet-n', description: 'which face model the file is: its input layout, decode and licence' }),
  FACEBLUR_EXECUTION_PROVIDER: Type.Union([Type.Literal('auto'), Type.Literal('cpu'), Type.Literal('cuda')], { default: 'auto' }),
  FACEBLUR_ORT_WORKERS: Type.Integer({ default: 0, minimum: 0, maximum: 64, description: 'inference worker threads on CPU, each with its own session (0 = one per core)' }),
  FACEBLUR_ORT_THREADS: Type.Integer({ default: 1, minimum: 1, maximum: 64, description: 'onnxruntime intra-op threads per model run (per worker on CPU)' }),
  FACEBLUR_ORT_SOLO_THREADS: Type.Integer({ default: 0, minimum: 0, maximum: 64, description: 'threads of the CPU worker that takes a run whose caller has nothing else for the model (one image, not tiled), so a lone request gets every core (0 = one per core; 1 = no such worker)' }),
  FACEBLUR_BATCH_MAX: Type.Integer({ default: 0, minimum: 0, maximum: MAX_BATCH, description: 'inputs of one shape waiting at once that go through one model run (0 = 8 on CUDA, 1 on CPU, where batches measured no cheaper; at most what the model file takes: YOLOv8n-face\'s export 1)' }),
  // Low on purpose: a missed face is a privacy leak, a blurred doll is not.
  FACEBLUR_CONFIDENCE: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'the score a face needs (default: the model\'s own, 0.25 for YOLOv8n-face, 0.7 for YuNet-n)' })),
  FACEBLUR_IOU: Type.Number({ default: 0.45, exclusiveMinimum: 0, maximum: 1 }),
  FACEBLUR_DETECTOR_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 64, description: 'images in flight: the next decodes while the current is inferred' }),
  // Full HD and smaller in one pass; above it, faces under ~30 px would shrink below what the model sees.
  FACEBLUR_TILE_ABOVE: Type.Integer({ default: 1920, minimum: 0, description: 'tile images whose longer side exceeds this many pixels (0 = never tile)' }),
  FACEBLUR_TILE_SIZE: Type.Integer({ default: 960, minimum: 320, description: 'tile side in source pixels' }),
  FACEBLUR_TILE_OVERLAP: Type.Number({ default: 0.25, minimum: 0, maximum: 0.5, description: 'fraction of a tile shared with its neighbour' }),
  FACEBLUR_MAX_PIXELS: Type.Integer({ default: 64_000_000, minimum: 1, description: 'pixels (width × height)' }),
  FACEBLUR_DETECTOR_HEALTH_PORT: Type.Integer({ default: 8001, minimum: 0, description: '0 = no health server' })
}

export const loadConfig = (env: Record<string, string | undefined>): ReturnType<typeof loadEnvConfig<typeof DetectorEnv>> => loadEnvConfig(DetectorEnv, env)
export type DetectorConfig = ReturnType<typeof loadConfig>

/** The detector's options as the service sets them: tests that check its work use the same. */
export const detectorOptions = (config: DetectorConfig): DetectorOptions => ({
  confidence: config.FACEBLUR_CONFIDENCE ?? MODELS[config.FACEBLUR_MODEL].defaultConfidence,
  iou: config.FACEBLUR_IOU,
  maxPixels: config.FACEBLUR_MAX_PIXELS,
  ...(config.FACEBLUR_TILE_ABOVE === 0
    ? {}
    : { tiling: { above: config.FACEBLUR_TILE_ABOVE, size: config.FACEBLUR_TILE_SIZE, overlap: config.FACEBLUR_TILE_OVERLAP } })
})
