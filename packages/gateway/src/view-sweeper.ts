import { codecs, uploadKey, type Topics } from '@faceblur/contracts'
import { removeOriginal, type Bus, type Logger, type ObjectStore } from '@faceblur/service-kit'
import type { TaskView } from './task-view.js'

export interface Sweeper { stop: () => void, sweepNow: () => Promise<void> }

/**
 * Every `everyMs`: forgets finished tasks past the TTL, and ends unfinished tasks past the maximum
 * age with a `FAILURE` (`FB_ERR_EXPIRED`) published to the status topic, so every gateway and
 * client sees the same end, then deletes their uploads. A publish that fails (Kafka away) is tried
 * again at the next sweep: the task is still unfinished then. Several gateways may each end the
 * same task; the status machine keeps the first end.
 */
export function startSweeper ({ view, bus, store, topics, logger, everyMs }: {
  view: TaskView, bus: Bus, store: ObjectStore, topics: Topics, logger: Logger, everyMs: number
}): Sweeper {
  let running: Promise<void> | undefined
  const sweepNow = async (): Promise<void> => {
    running ??= (async () => {
      const { forgotten, overdue } = view.sweep()
      if (forgotten > 0) logger.debug({ forgotten }, 'forgot finished tasks past the TTL')
      if (overdue.length === 0) return
      try {
        await bus.publish(overdue.map((s) => ({ topic: topics.status, key: s.task_id, value: codecs.taskStatus.encode(s) })))
      } catch (err) {
        logger.warn({ err, tasks: overdue.length }, 'could not end expired tasks; trying again at the next sweep')
        return
      }
      for (const s of overdue) view.apply(s)
      logger.warn({ tasks: overdue.length, first: overdue[0]!.task_id }, 'ended unfinished tasks past FACEBLUR_TASK_MAX_AGE_HOURS as FB_ERR_EXPIRED')
      const removals = await Promise.allSettled(overdue.map(async (s) => { await removeOriginal(store, uploadKey(s.task_id)) }))
      const failed = removals.filter((r) => r.status === 'rejected').length
      // Left behind, an upload still goes by the bucket's lifecycle rule.
      if (failed > 0) logger.warn({ failed }, 'could not delete the uploads of some expired tasks')
    })().finally(() => { running = undefined })
    await running
  }
  const timer = setInterval(() => { void sweepNow() }, everyMs)
  timer.unref()
  return { stop: () => { clearInterval(timer) }, sweepNow }
}
