import { cachedFor } from '@faceblur/service-kit'
import type { FastifyPluginAsync } from 'fastify'

export const healthRoutes: FastifyPluginAsync = async (app) => {
  // Load balancers may ask many times a second: Kafka and MinIO are asked at most every 2 s.
  const dependencies = cachedFor(2000, async () => await Promise.all([app.bus.ready(Object.values(app.topics)), app.store.ready()]))
  app.get('/health', { schema: { summary: 'Alive' } }, async () => ({ ok: true }))
  app.get('/ready', { schema: { summary: 'Kafka, MinIO and the topics reachable, and the task view caught up' } }, async (_request, reply) => {
    const [kafka, s3] = await dependencies()
    const view = app.viewCaughtUp()
    const ok = kafka && s3 && view
    return await reply.code(ok ? 200 : 503).send({ ok, kafka, s3, view, tasks: app.view.size, unfinished: app.view.unfinished })
  })
}
