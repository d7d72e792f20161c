#!/usr/bin/env node
import { createLogger, serveStage } from '@faceblur/service-kit'
import { loadConfig } from './config.js'
import { blurrerStage } from './pipeline.js'

const config = loadConfig(process.env)
const logger = createLogger('blurrer', config.LOG_LEVEL)

const defaults = { mode: config.FACEBLUR_BLUR_MODE, shape: config.FACEBLUR_BLUR_SHAPE, padding: config.FACEBLUR_BLUR_PADDING }
logger.info({ defaults, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS }, 'blurrer settings')
await serveStage({
  role: 'blurrer',
  config,
  logger,
  healthPort: config.FACEBLUR_BLURRER_HEALTH_PORT,
  definition: ({ store }) => blurrerStage({ store, options: { defaults, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS, maxPixels: config.FACEBLUR_MAX_PIXELS } })
})
