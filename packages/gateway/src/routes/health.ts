import type { FastifyPluginAsync } from 'fastify'

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/health', { schema: { summary: 'Alive' } }, async () => ({ ok: true }))
  app.get('/ready', { schema: { summary: 'Kafka, MinIO and the topics reachable, and the task view caught up' } }, async (_request, reply) => {
    const [kafka, s3] = await Promise.all([app.bus.ready(Object.values(app.topics)), app.store.ready()])
    const view = app.viewCaughtUp()
    const ok = kafka && s3 && view
    return await reply.code(ok ? 200 : 503).send({ ok, kafka, s3, view, tasks: app.view.size, unfinished: app.view.unfinished })
  })
}
