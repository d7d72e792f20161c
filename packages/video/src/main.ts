#!/usr/bin/env node
import { createLogger, serveStage } from '@faceblur/service-kit'
import { createFfmpeg } from '@faceblur/media'
import { loadConfig } from './config.js'
import { joinerStage } from './joiner.js'
import { splitterStage } from './splitter.js'

const config = loadConfig(process.env)
const logger = createLogger('video', config.LOG_LEVEL)
const ffmpeg = createFfmpeg({ ffmpeg: config.FACEBLUR_FFMPEG, ffprobe: config.FACEBLUR_FFPROBE })
const limits = { maxDurationS: config.FACEBLUR_VIDEO_MAX_DURATION_S, maxPixels: config.FACEBLUR_VIDEO_MAX_PIXELS, maxFps: config.FACEBLUR_VIDEO_MAX_FPS }
logger.info({ ffmpeg: await ffmpeg.version(), limits, segmentSeconds: config.FACEBLUR_VIDEO_SEGMENT_S }, 'video settings')

await serveStage({
  role: 'video',
  config,
  logger,
  healthPort: config.FACEBLUR_VIDEO_HEALTH_PORT,
  definitions: ({ store, topics }) => [
    splitterStage({ store, topics, ffmpeg, options: { limits, segmentSeconds: config.FACEBLUR_VIDEO_SEGMENT_S, maxBytes: config.FACEBLUR_MAX_VIDEO_BYTES, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS } }),
    joinerStage({ store, ffmpeg, maxBytes: config.FACEBLUR_MAX_VIDEO_BYTES })
  ]
})
