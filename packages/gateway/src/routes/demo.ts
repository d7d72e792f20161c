import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import staticFiles from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'

const PUBLIC = join(import.meta.dirname, '../../public')

/** The demo page at `/`, its script and styles under `/demo/`: plain files, no build step. */
export const demoRoutes: FastifyPluginAsync = async (app) => {
  const index = await readFile(join(PUBLIC, 'index.html'))
  await app.register(staticFiles, { root: PUBLIC, prefix: '/demo/', decorateReply: false, index: false })
  app.get('/', { schema: { hide: true } }, async (_request, reply) => await reply.type('text/html; charset=utf-8').send(index))
}
