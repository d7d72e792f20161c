#!/usr/bin/env node
import { createLogger, serveStage } from '@faceblur/service-kit'
import { createFfmpeg } from '@faceblur/media'
import { loadConfig } from './config.js'
import { blurrerStage } from './pipeline.js'
import { blurrerVideoStage } from './video-stage.js'

const config = loadConfig(process.env)
const logger = createLogger('blurrer', config.LOG_LEVEL)

const defaults = { mode: config.FACEBLUR_BLUR_MODE, shape: config.FACEBLUR_BLUR_SHAPE, padding: config.FACEBLUR_BLUR_PADDING }
logger.info({ defaults, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS }, 'blurrer settings')
const ffmpeg = createFfmpeg({ ffmpeg: config.FACEBLUR_FFMPEG, ffprobe: config.FACEBLUR_FFPROBE })
await ffmpeg.version().then(
  (version) => { logger.info({ ffmpeg: version }, 'video segments decoded and encoded by FFmpeg') },
  (err: Error) => { logger.warn({ reason: err.message }, 'FFmpeg is missing: images work, video segments will fail') })
await serveStage({
  role: 'blurrer',
  config,
  logger,
  healthPort: config.FACEBLUR_BLURRER_HEALTH_PORT,
  definitions: ({ store, topics }) => [
    blurrerStage({ store, options: { defaults, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS, maxPixels: config.FACEBLUR_MAX_PIXELS, effort: config.FACEBLUR_ENCODE_EFFORT } }),
    blurrerVideoStage({
      store,
      topics,
      ffmpeg,
      options: { defaults, window: config.FACEBLUR_VIDEO_TEMPORAL_WINDOW, preset: config.FACEBLUR_VIDEO_PRESET, crf: config.FACEBLUR_VIDEO_CRF, maxBytes: config.FACEBLUR_MAX_VIDEO_BYTES }
    })
  ]
})
