#!/usr/bin/env node
import { namesFor } from '@faceblur/contracts'
import { busFromConfig, createLogger, onShutdown, provision, startHealthServer, storeFromConfig } from '@faceblur/service-kit'
import { loadConfig } from './config.js'
import { createDetector } from './detector.js'
import { openModel } from './onnx-session.js'
import { startDetectorStage } from './pipeline.js'

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
const names = namesFor(config.FACEBLUR_NAMESPACE)
await provision(bus, store, names.topics, config)
const stage = await startDetectorStage({ bus, store, detector, logger, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS, concurrency: config.FACEBLUR_DETECTOR_CONCURRENCY, names })

const health = config.FACEBLUR_DETECTOR_HEALTH_PORT === 0
  ? undefined
  : await startHealthServer(config.FACEBLUR_DETECTOR_HEALTH_PORT, config.FACEBLUR_HEALTH_HOST, {
    health: () => ({ ok: true, model: detector.model }),
    ready: async () => {
      const [kafka, s3] = await Promise.all([bus.ready([]), store.ready()])
      return { ok: kafka && s3, kafka, s3, model: detector.model }
    }
  })
logger.info({ health: config.FACEBLUR_DETECTOR_HEALTH_PORT }, 'detector consuming')

onShutdown(logger, async () => {
  await stage.stop()
  await bus.close()
  await session.release()
  health?.close()
})
