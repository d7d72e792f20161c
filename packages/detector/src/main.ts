#!/usr/bin/env node
import { createLogger, serveStage } from '@faceblur/service-kit'
import { createFfmpeg } from '@faceblur/media'
import { detectorOptions, loadConfig } from './config.js'
import { batching, batchSize } from './batching.js'
import { createDetector } from './detector.js'
import { loadModel } from './model-pool.js'
import { detectorStage } from './pipeline.js'
import { detectorVideoStage } from './video-stage.js'

const config = loadConfig(process.env)
const logger = createLogger('detector', config.LOG_LEVEL)

const loaded = await loadModel(config.FACEBLUR_MODEL_PATH, config.FACEBLUR_MODEL, config.FACEBLUR_EXECUTION_PROVIDER,
  { workers: config.FACEBLUR_ORT_WORKERS, threads: config.FACEBLUR_ORT_THREADS, soloThreads: config.FACEBLUR_ORT_SOLO_THREADS },
  (reason) => logger.info({ reason }, 'CUDA execution provider unavailable; using CPU'))
const batch = batchSize(config.FACEBLUR_BATCH_MAX, loaded.provider, loaded.maxBatch)
const session = batching(loaded, batch)
const detector = createDetector(session, config.FACEBLUR_MODEL, detectorOptions(config))
logger.info({ model: detector.model, input: session.inputSize, lanes: loaded.lanes, batch }, `model ${detector.model.name} (${detector.model.licence ?? 'licence unknown'}) loaded on ${session.provider}`)
const ffmpeg = createFfmpeg({ ffmpeg: config.FACEBLUR_FFMPEG, ffprobe: config.FACEBLUR_FFPROBE })
await ffmpeg.version().then(
  (version) => { logger.info({ ffmpeg: version }, 'video segments decoded by FFmpeg') },
  (err: Error) => { logger.warn({ reason: err.message }, 'FFmpeg is missing: images work, video segments will fail') })

await serveStage({
  role: 'detector',
  config,
  logger,
  healthPort: config.FACEBLUR_DETECTOR_HEALTH_PORT,
  details: { model: detector.model },
  definitions: ({ store, topics }) => [
    detectorStage({ store, detector, topics, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS, concurrency: config.FACEBLUR_DETECTOR_CONCURRENCY }),
    detectorVideoStage({ store, detector, topics, ffmpeg, window: config.FACEBLUR_VIDEO_TEMPORAL_WINDOW, maxBytes: config.FACEBLUR_MAX_VIDEO_BYTES })
  ],
  close: async () => { await session.release() }
})
