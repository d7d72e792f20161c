import { randomUUID } from 'node:crypto'
import { codecs, type Topics } from '@faceblur/contracts'
import { statusMessage, type Bus, type Logger, type Subscription } from '@faceblur/service-kit'
import type { TaskView } from './task-view.js'

export interface StatusFeed extends Subscription {
  /** Resolves once the view holds every status that was in the topic when the feed started. */
  caughtUp: Promise<void>
  readonly isCaughtUp: boolean
}

/**
 * Feeds the task view from the whole status topic. Each gateway process reads it from the start
 * under a group of its own, so every instance holds every task and a restart loses nothing. The
 * group commits every few seconds, so a consumer that rejoins after a broker hiccup resumes where
 * it was instead of replaying the topic; the group is deleted when the feed stops (one left by a
 * killed process goes with Kafka's offset retention, 7 days by default).
 *
 * The topic is compacted by task id, which keeps only each task's last event, so the last event
 * must state the task's state. A stale one (a redelivery's STARTED or FAILURE after SUCCESS) is
 * answered by restating the task's state after it: at once when live, at the end of catch-up for
 * the tasks whose last event read was stale. Every gateway reads a task's events in the same order
 * (one partition), so all restate the same thing, and a restatement is never itself stale.
 */
export async function startStatusFeed (bus: Bus, topics: Topics, view: TaskView, logger: Logger): Promise<StatusFeed> {
  // Where the topic ends now: until the feed has read that far, a 404 could be a lie.
  const targets = new Map((await bus.offsets(topics.status)).filter((p) => p.high > p.low).map((p) => [p.partition, p.high]))
  let isCaughtUp = false
  const staleAtCatchUp = new Set<string>()
  const restate = async (ids: Iterable<string>): Promise<void> => {
    const states = [...ids].map((id) => view.get(id)).filter((s) => s !== undefined)
    if (states.length === 0) return
    try {
      await bus.publish(states.map((s) => statusMessage(topics, s)))
      logger.info({ tasks: states.length, first: states[0]!.task_id }, 'restated tasks whose last status event was stale')
    } catch (err) {
      // Not lost: the stale event stays last, and the next gateway to read it restates it.
      logger.warn({ err, tasks: states.length }, 'could not restate tasks whose last status event was stale')
    }
  }
  let markCaughtUp = (): void => {}
  const caughtUp = new Promise<void>((resolve) => {
    markCaughtUp = () => {
      isCaughtUp = true
      resolve()
      void restate(staleAtCatchUp).finally(() => { staleAtCatchUp.clear() })
    }
  })
  if (targets.size === 0) markCaughtUp()

  const groupId = `gateway-view-${randomUUID()}`
  const subscription = await bus.consume({
    groupId,
    topics: [topics.status],
    fromBeginning: true,
    commit: 'periodically',
    partitionsConcurrently: 6,
    handle: async (message) => {
      const parsed = codecs.taskStatus.parse(message.value)
      if (parsed.ok) {
        const applied = view.apply(parsed.value)
        const id = parsed.value.task_id
        if (isCaughtUp) {
          if (applied === 'stale') await restate([id])
        } else if (applied === 'stale') staleAtCatchUp.add(id)
        else staleAtCatchUp.delete(id)
      } else if (message.value !== null) { // null: a tombstone, for compaction
        logger.warn({ offset: message.offset, partition: message.partition, reason: parsed.reason }, 'ignoring an invalid status event')
      }
      const target = targets.get(message.partition)
      if (target !== undefined && BigInt(message.offset) + 1n >= target) {
        targets.delete(message.partition)
        if (targets.size === 0) markCaughtUp()
      }
    }
  })
  return {
    async stop () {
      await subscription.stop()
      try { await bus.deleteGroup(groupId) } catch (err) { logger.debug({ err, groupId }, 'could not delete the feed\'s group') }
    },
    health: subscription.health,
    caughtUp,
    get isCaughtUp () { return isCaughtUp }
  }
}
