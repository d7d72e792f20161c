import { randomUUID } from 'node:crypto'
import { codecs, type Topics } from '@faceblur/contracts'
import type { Bus, Logger, Subscription } from '@faceblur/service-kit'
import type { TaskView } from './task-view.js'

export interface StatusFeed extends Subscription {
  /** Resolves once the view holds every status that was in the topic when the feed started. */
  caughtUp: Promise<void>
  readonly isCaughtUp: boolean
}

/**
 * Feeds the task view from the whole status topic. Each gateway instance reads it from the start
 * under a group of its own, so every instance holds every task and a restart loses nothing.
 */
export async function startStatusFeed (bus: Bus, topics: Topics, view: TaskView, logger: Logger): Promise<StatusFeed> {
  // Where the topic ends now: until the feed has read that far, a 404 could be a lie.
  const targets = new Map((await bus.offsets(topics.status)).filter((p) => p.high > p.low).map((p) => [p.partition, p.high]))
  let isCaughtUp = false
  let markCaughtUp = (): void => {}
  const caughtUp = new Promise<void>((resolve) => { markCaughtUp = () => { isCaughtUp = true; resolve() } })
  if (targets.size === 0) markCaughtUp()

  const subscription = await bus.consume({
    groupId: `gateway-view-${randomUUID()}`,
    topics: [topics.status],
    fromBeginning: true,
    commit: false, // a new group every start: a committed position would never be read
    partitionsConcurrently: 6,
    handle: async (message) => {
      const parsed = codecs.taskStatus.parse(message.value)
      if (parsed.ok) view.apply(parsed.value)
      else logger.warn({ offset: message.offset, partition: message.partition, reason: parsed.reason }, 'ignoring an invalid status event')
      const target = targets.get(message.partition)
      if (target !== undefined && BigInt(message.offset) + 1n >= target) {
        targets.delete(message.partition)
        if (targets.size === 0) markCaughtUp()
      }
    }
  })
  return { stop: subscription.stop, health: subscription.health, caughtUp, get isCaughtUp () { return isCaughtUp } }
}
