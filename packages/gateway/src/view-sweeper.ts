import { uploadKey, type Topics } from '@faceblur/contracts'
import { removeOriginal, statusMessage, type Bus, type Logger, type ObjectStore } from '@faceblur/service-kit'
import type { TaskView } from './task-view.js'

export interface Sweeper { stop: () => void }

/**
 * Every `everyMs`: forgets finished tasks past the TTL (writing a tombstone for each, so the
 * compacted status topic drops them too), and ends unfinished tasks past the maximum age with a
 * `FAILURE` (`FB_ERR_EXPIRED`) published to the status topic, then deletes their uploads. The view
 * takes that FAILURE from the topic like any event, so every gateway sees the same order. A publish
 * that fails (Kafka away) is tried again at the next sweep: the task is still unfinished then.
 * Several gateways may each end the same task; the status machine keeps the first end.
 */
export function startSweeper ({ view, bus, store, topics, logger, everyMs }: {
  view: TaskView, bus: Bus, store: ObjectStore, topics: Topics, logger: Logger, everyMs: number
}): Sweeper {
  let running: Promise<void> | undefined
  const sweep = async (): Promise<void> => {
    const { forgotten, overdue } = view.sweep()
    if (forgotten.length > 0) {
      logger.debug({ forgotten: forgotten.length }, 'forgot finished tasks past the TTL')
      // Best effort: a tombstone lost here only leaves the key to the topic's retention.
      await bus.publish(forgotten.map((id) => ({ topic: topics.status, key: id, value: null })))
        .catch((err: unknown) => { logger.debug({ err }, 'could not write tombstones for forgotten tasks') })
    }
    if (overdue.length === 0) return
    try {
      await bus.publish(overdue.map((s) => statusMessage(topics, s)))
    } catch (err) {
      logger.warn({ err, tasks: overdue.length }, 'could not end expired tasks; trying again at the next sweep')
      return
    }
    logger.warn({ tasks: overdue.length, first: overdue[0]!.task_id }, 'ended unfinished tasks past FACEBLUR_TASK_MAX_AGE_HOURS as FB_ERR_EXPIRED')
    const removals = await Promise.allSettled(overdue.map(async (s) => { await removeOriginal(store, uploadKey(s.task_id)) }))
    const failed = removals.filter((r) => r.status === 'rejected').length
    // Left behind, an upload still goes by the bucket's lifecycle rule.
    if (failed > 0) logger.warn({ failed }, 'could not delete the uploads of some expired tasks')
  }
  const timer = setInterval(() => {
    running ??= sweep().finally(() => { running = undefined }) // never two at once
  }, everyMs)
  timer.unref()
  return { stop: () => { clearInterval(timer) } }
}
