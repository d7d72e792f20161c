// A task's opening statuses: its PENDING when no gateway announced it, and its STARTED, which
// waits to see whether the task is over before it would tell anyone anything.
import type { OutgoingMessage } from './bus.js'

/**
 * A STARTED the task's end follows within this long tells no client anything (a poll or a socket
 * sees it for a few ms, if at all), yet costs a Kafka message, its write and a read by every
 * gateway: a task that ends sooner goes from PENDING straight to SUCCESS or FAILURE, which the
 * status machine allows. One that runs longer is STARTED at this mark; one handed on to a later
 * stage (a blur's faces) is STARTED with that hand-over, in the same publish.
 */
export const STARTED_AFTER_MS = 250

export interface TaskOpening {
  /**
   * Called once the work is done, with whether its outcome ends the task: waits for the opening
   * statuses already on their way (rejects if they could not be published) and returns the
   * STARTED still owed, to be published first with the outcome.
   */
  close: (ends: boolean) => Promise<OutgoingMessage[]>
}

/**
 * Publishes `pending` now (the work starts while it is on its way) and `started()` once the work
 * has run `afterMs`, after the PENDING, so the task's events stay in order.
 */
export function openTask (publish: (messages: OutgoingMessage[]) => Promise<void>, pending: OutgoingMessage | undefined, started: (() => OutgoingMessage) | undefined, afterMs = STARTED_AFTER_MS): TaskOpening {
  const opened = pending === undefined ? Promise.resolve() : publish([pending])
  opened.catch(() => {}) // awaited by close; this only keeps a failure from counting as unhandled meanwhile
  let sent: Promise<void> | undefined
  const timer = started === undefined
    ? undefined
    : setTimeout(() => {
      sent = opened.then(async () => { await publish([started()]) })
      sent.catch(() => {})
    }, afterMs)
  return {
    async close (ends) {
      clearTimeout(timer)
      await opened
      await sent
      return started !== undefined && sent === undefined && !ends ? [started()] : []
    }
  }
}
