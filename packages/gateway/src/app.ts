import multipart from '@fastify/multipart'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import { ErrorResponse, FaceBlurError, type ConsumerGroups, type Topics } from '@faceblur/contracts'
import type { Bus, Logger, ObjectStore } from '@faceblur/service-kit'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { apiKeys, redactedUrl } from './auth.js'
import type { GatewayConfig } from './config.js'
import { handleError } from './errors.js'
import { metrics } from './metrics.js'
import { demoRoutes } from './routes/demo.js'
import { healthRoutes } from './routes/health.js'
import { liveStatusRoutes } from './routes/live-status.js'
import { submitRoutes } from './routes/submit.js'
import { taskResultRoutes } from './routes/task-result.js'
import type { TaskView } from './task-view.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: GatewayConfig
    bus: Bus
    store: ObjectStore
    view: TaskView
    topics: Topics
    viewCaughtUp: () => boolean
  }
}

export interface GatewayDeps {
  config: GatewayConfig
  bus: Bus
  store: ObjectStore
  view: TaskView
  names: { topics: Topics, groups: ConsumerGroups }
  apiKeys: readonly string[]
  viewCaughtUp: () => boolean
  logger: Logger
}

/** The HTTP app, with its bus, store and view handed in (the entry point owns their lifecycles). */
export async function buildApp (deps: GatewayDeps): Promise<FastifyInstance> {
  const { config, bus, store, view, names, logger } = deps
  const loggerInstance: FastifyBaseLogger = logger
  const app = Fastify({
    loggerInstance,
    bodyLimit: config.FACEBLUR_MAX_UPLOAD_BYTES + 64 * 1024,
    // Slow clients: a silent connection is closed, and no request may take longer than this.
    connectionTimeout: config.FACEBLUR_IDLE_TIMEOUT_S * 1000,
    requestTimeout: config.FACEBLUR_REQUEST_TIMEOUT_S * 1000,
    // Logged below instead: submissions at info, polls and the rest at debug.
    logController: new LogController({ disableRequestLogging: true })
  })
  app.decorate('config', config)
  app.decorate('bus', bus)
  app.decorate('store', store)
  app.decorate('view', view)
  app.decorate('topics', names.topics)
  app.decorate('viewCaughtUp', deps.viewCaughtUp)
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
      ...(deps.apiKeys.length > 0 ? { security: [{ apiKey: [] }] } : {})
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(metrics, { view, bus, topics: names.topics, groups: names.groups })
  await app.register(apiKeys, { keys: deps.apiKeys })
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
