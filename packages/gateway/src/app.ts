import multipart from '@fastify/multipart'
import websocket from '@fastify/websocket'
import type { Topics } from '@faceblur/contracts'
import type { Bus, ObjectStore } from '@faceblur/service-kit'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from '@faceblur/service-kit'
import type { GatewayConfig } from './config.js'
import { handleError } from './errors.js'
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
  }
}

export interface GatewayDeps { config: GatewayConfig, bus: Bus, store: ObjectStore, view: TaskView, topics: Topics, logger: Logger }

/** The HTTP app, with its bus, store and view handed in (the entry point owns their lifecycles). */
export async function buildApp ({ config, bus, store, view, topics, logger }: GatewayDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = logger
  const app = Fastify({ loggerInstance, bodyLimit: config.FACEBLUR_MAX_UPLOAD_BYTES + 64 * 1024 })
  app.decorate('config', config)
  app.decorate('bus', bus)
  app.decorate('store', store)
  app.decorate('view', view)
  app.decorate('topics', topics)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'FB_ERR_ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url}` } })
  })
  await app.register(multipart, { limits: { fileSize: config.FACEBLUR_MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 20 } })
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  await app.register(submitRoutes)
  await app.register(taskResultRoutes)
  await app.register(liveStatusRoutes)
  await app.register(healthRoutes)
  return app
}
