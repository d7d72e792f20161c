#!/usr/bin/env node
import { namesFor } from '@faceblur/contracts'
import { busFromConfig, createLogger, provision, serveStage, storeFromConfig } from '@faceblur/service-kit'
import { loadConfig } from './config.js'
import { blurrerStage } from './pipeline.js'

const config = loadConfig(process.env)
const logger = createLogger('blurrer', config.LOG_LEVEL)

const bus = busFromConfig(config, 'blurrer', logger)
const store = storeFromConfig(config)
const { topics, groups } = namesFor(config.FACEBLUR_NAMESPACE)
await provision(bus, store, topics, config)
const defaults = { mode: config.FACEBLUR_BLUR_MODE, shape: config.FACEBLUR_BLUR_SHAPE, padding: config.FACEBLUR_BLUR_PADDING }
logger.info({ defaults, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS }, 'blurrer settings')
await serveStage({
  config,
  logger,
  bus,
  store,
  topics,
  groupId: groups.blurrer,
  healthPort: config.FACEBLUR_BLURRER_HEALTH_PORT,
  definition: blurrerStage({ store, options: { defaults, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS, maxPixels: config.FACEBLUR_MAX_PIXELS } })
})
