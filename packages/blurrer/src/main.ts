#!/usr/bin/env node
import { namesFor } from '@faceblur/contracts'
import { busFromConfig, createLogger, onShutdown, provision, startHealthServer, storeFromConfig } from '@faceblur/service-kit'
import { loadConfig } from './config.js'
import { startBlurrerStage } from './pipeline.js'

const config = loadConfig(process.env)
const logger = createLogger('blurrer', config.LOG_LEVEL)

const bus = busFromConfig(config, 'blurrer', logger)
const store = storeFromConfig(config)
const names = namesFor(config.FACEBLUR_NAMESPACE)
await provision(bus, store, names.topics, config)
const defaults = { mode: config.FACEBLUR_BLUR_MODE, shape: config.FACEBLUR_BLUR_SHAPE, padding: config.FACEBLUR_BLUR_PADDING }
const stage = await startBlurrerStage({
  bus, store, logger, names, options: { defaults, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS, maxPixels: config.FACEBLUR_MAX_PIXELS }
})

const health = config.FACEBLUR_BLURRER_HEALTH_PORT === 0
  ? undefined
  : await startHealthServer(config.FACEBLUR_BLURRER_HEALTH_PORT, config.FACEBLUR_HEALTH_HOST, {
    health: () => ({ ok: true }),
    ready: async () => {
      const [kafka, s3] = await Promise.all([bus.ready([]), store.ready()])
      return { ok: kafka && s3, kafka, s3 }
    }
  })
logger.info({ defaults, keepOriginals: config.FACEBLUR_KEEP_ORIGINALS }, 'blurrer consuming')

onShutdown(logger, async () => {
  await stage.stop()
  await bus.close()
  health?.close()
})
