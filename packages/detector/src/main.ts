#!/usr/bin/env node
import { namesFor } from '@faceblur/contracts'
import { busFromConfig, createLogger, provision, serveStage, storeFromConfig } from '@faceblur/service-kit'
import { loadConfig } from './config.js'
import { createDetector } from './detector.js'
import { openModel } from './onnx-session.js'
import { detectorStage } from './pipeline.js'

const config = loadConfig(process.env)
const logger = createLogger('detector', config.LOG_LEVEL)

const session = await openModel(config.FACEBLUR_MODEL_PATH, config.FACEBLUR_EXECUTION_PROVIDER,
  config.FACEBLUR_ORT_THREADS || undefined,
  (reason) => logger.info({ reason }, 'CUDA execution provider unavailable; using CPU'))
const detector = createDetector(session, config.FACEBLUR_MODEL_NAME, {
  confidence: config.FACEBLUR_CONFIDENCE,
  iou: config.FACEBLUR_IOU,
  maxPixels: config.FACEBLUR_MAX_PIXELS,
  ...(config.FACEBLUR_TILE_ABOVE === 0
    ? {}
    : { tiling: { above: config.FACEBLUR_TILE_ABOVE, size: config.FACEBLUR_TILE_SIZE, overlap: config.FACEBLUR_TILE_OVERLAP } })
})
logger.info({ model: detector.model, input: session.inputSize, output: session.outputDims }, `model loaded on ${session.provider}`)

const bus = busFromConfig(config, 'detector', logger)
const store = storeFromConfig(config)
const { topics, groups } = namesFor(config.FACEBLUR_NAMESPACE)
await provision(bus, store, topics, config)
await serveStage({
  config,
  logger,
  bus,
  store,
  topics,
  groupId: groups.detector,
  healthPort: config.FACEBLUR_DETECTOR_HEALTH_PORT,
  details: { model: detector.model },
  definition: detectorStage({ store, detector, topics, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS, concurrency: config.FACEBLUR_DETECTOR_CONCURRENCY }),
  close: async () => { await session.release() }
})
