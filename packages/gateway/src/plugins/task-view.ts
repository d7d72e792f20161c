import type { Logger } from '@faceblur/service-kit'
import fp from 'fastify-plugin'
import type { GatewayConfig } from '../config.js'
import { startStatusFeed } from '../status-feed.js'
import { TaskView } from '../task-view.js'
import { startSweeper } from '../view-sweeper.js'

declare module 'fastify' {
  interface FastifyInstance {
    view: TaskView
    /** The feed has read the status topic as far as it reached at start, and is still reading. */
    viewCaughtUp: () => boolean
  }
}

/**
 * The task view, fed from the status topic and swept. Registering it waits (up to
 * `FACEBLUR_VIEW_CATCHUP_S`) until the view has read the topic, so `ready()` and so `listen()`
 * come after it: no existing task is answered 404 after a restart.
 */
export const taskView = fp<{ config: GatewayConfig, logger: Logger }>(async (app, { config, logger }) => {
  const view = new TaskView({ ttlMs: config.FACEBLUR_RESULT_TTL_HOURS * 3600_000, maxAgeMs: config.FACEBLUR_TASK_MAX_AGE_HOURS * 3600_000 })
  const feed = await startStatusFeed(app.bus, app.topics, view, logger)
  const sweeper = startSweeper({ view, bus: app.bus, store: app.store, topics: app.topics, logger, everyMs: config.FACEBLUR_VIEW_SWEEP_S * 1000 })
  app.decorate('view', view)
  app.decorate('viewCaughtUp', () => feed.isCaughtUp && feed.health().running)
  app.addHook('onClose', async () => {
    sweeper.stop()
    await feed.stop()
  })

  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  const timedOut = await Promise.race([
    feed.caughtUp.then(() => false),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), config.FACEBLUR_VIEW_CATCHUP_S * 1000) })
  ])
  clearTimeout(timer)
  if (timedOut) logger.warn({ seconds: config.FACEBLUR_VIEW_CATCHUP_S }, 'task view still catching up; listening anyway (/ready says 503 until it is done)')
  else logger.info({ tasks: view.size, ms: Date.now() - started }, 'task view caught up with the status topic')
}, { name: 'task-view', dependencies: ['infra'] })
