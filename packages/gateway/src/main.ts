#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { createLogger, onShutdown } from '@faceblur/service-kit'
import { buildApp } from './app.js'
import { parseKeys } from './auth.js'
import { loadConfig } from './config.js'

const config = loadConfig(process.env)
const logger = createLogger('gateway', config.LOG_LEVEL)
const keys = parseKeys(config.FACEBLUR_API_KEYS, config.FACEBLUR_API_KEYS_FILE === '' ? undefined : readFileSync(config.FACEBLUR_API_KEYS_FILE, 'utf8'))

// Listening waits for every plugin: Kafka and MinIO provisioned, the task view caught up.
const app = await buildApp({ config, apiKeys: keys, logger })
await app.listen({ port: config.PORT, host: config.HOST })
logger.info({ apiKeys: keys.length, rateLimitPerMinute: config.FACEBLUR_RATE_LIMIT_PER_MINUTE }, 'gateway ready')

// Stops accepting, lets in-flight uploads finish, then each plugin closes what it opened.
onShutdown(logger, async () => { await app.close() })
