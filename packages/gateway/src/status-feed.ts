import { randomUUID } from 'node:crypto'
import { codecs, type Topics } from '@faceblur/contracts'
import type { Bus, Logger, Subscription } from '@faceblur/service-kit'
import type { TaskView } from './task-view.js'

/**
 * Feeds the task view from the whole status topic. Each gateway instance reads it from the start
 * under a group of its own, so every instance holds every task and a restart loses nothing.
 */
export async function startStatusFeed (bus: Bus, topics: Topics, view: TaskView, logger: Logger): Promise<Subscription> {
  return await bus.consume({
    groupId: `gateway-view-${randomUUID()}`,
    topics: [topics.status],
    fromBeginning: true,
    partitionsConcurrently: 6,
    handle: async (message) => {
      const parsed = codecs.taskStatus.parse(message.value)
      if (!parsed.ok) {
        logger.warn({ offset: message.offset, partition: message.partition, reason: parsed.reason }, 'ignoring an invalid status event')
        return
      }
      view.apply(parsed.value)
    }
  })
}
