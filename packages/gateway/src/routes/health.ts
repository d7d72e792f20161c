import type { FastifyPluginAsync } from 'fastify'

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/health', async () => ({ ok: true }))
  app.get('/ready', async (_request, reply) => {
    const [kafka, s3] = await Promise.all([app.bus.ready(Object.values(app.topics)), app.store.ready()])
    const ok = kafka && s3
    return await reply.code(ok ? 200 : 503).send({ ok, kafka, s3, tasks: app.view.size })
  })
}
