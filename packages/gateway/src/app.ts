import multipart from '@fastify/multipart'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import { ErrorResponse, FaceBlurError } from '@faceblur/contracts'
import type { Logger } from '@faceblur/service-kit'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { apiKeys, redactedUrl } from './auth.js'
import type { GatewayConfig } from './config.js'
import { handleError } from './errors.js'
import { infra } from './plugins/infra.js'
import { metrics } from './plugins/metrics.js'
import { taskView } from './plugins/task-view.js'
import { demoRoutes } from './routes/demo.js'
import { healthRoutes } from './routes/health.js'
import { liveStatusRoutes } from './routes/live-status.js'
import { submitRoutes } from './routes/submit.js'
import { taskResultRoutes } from './routes/task-result.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: GatewayConfig
  }
}

export interface GatewayOptions {
  config: GatewayConfig
  apiKeys: readonly string[]
  logger: Logger
}

/**
 * The gateway: Kafka and MinIO, the task view (ready once it has read the status topic) and the
 * HTTP API, each a plugin that closes what it opened when the app closes.
 */
export async function buildApp ({ config, apiKeys: keys, logger }: GatewayOptions): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = logger
  const app = Fastify({
    loggerInstance,
    bodyLimit: config.FACEBLUR_MAX_UPLOAD_BYTES + 64 * 1024,
    // Slow clients: a silent connection is closed, and no request may take longer than this.
    connectionTimeout: config.FACEBLUR_IDLE_TIMEOUT_S * 1000,
    requestTimeout: config.FACEBLUR_REQUEST_TIMEOUT_S * 1000,
    // The task view's plugin waits for catch-up (a million tasks: ~45 s); provisioning may retry.
    pluginTimeout: (config.FACEBLUR_VIEW_CATCHUP_S + 60) * 1000,
    // Logged below instead: submissions at info, polls and the rest at debug.
    logController: new LogController({ disableRequestLogging: true })
  })
  app.decorate('config', config)
  await app.register(infra, { config, logger })
  await app.register(taskView, { config, logger })
  app.setErrorHandler(handleError)
  app.addHook('onResponse', async (request, reply) => {
    const level = request.method === 'POST' || reply.statusCode >= 500 ? 'info' : 'debug'
    request.log[level]({ method: request.method, url: redactedUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request')
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'FB_ERR_ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } })
  })
  app.addSchema(ErrorResponse)

  await app.register(swagger, {
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` },
    openapi: {
      info: {
        title: 'FaceBlur',
        version: '1.0.0',
        description: 'Face detection and irreversible face blurring. Submit an image, get a task id, poll `/task_result/{task_id}` ' +
          'or follow it live over the WebSocket at `/ws` (send `{"subscribe": ["<task_id>"]}`; see the README for the messages).'
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
      ...(keys.length > 0 ? { security: [{ apiKey: [] }] } : {})
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(metrics)
  await app.register(apiKeys, { keys })
  // Only routes that ask for it (the submissions) are limited: polls are cheap reads.
  await app.register(rateLimit, {
    global: false,
    max: config.FACEBLUR_RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    keyGenerator: (request) => request.owner ?? request.ip,
    errorResponseBuilder: (_request, context) =>
      new FaceBlurError('FB_ERR_RATE_LIMITED', `more than ${context.max} submissions a minute; try again in ${context.after}`)
  })
  await app.register(multipart, { limits: { fileSize: config.FACEBLUR_MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 20 } })
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  await app.register(submitRoutes)
  await app.register(taskResultRoutes)
  await app.register(liveStatusRoutes)
  await app.register(healthRoutes)
  await app.register(demoRoutes)
  return app
}
