// Gathers items that many workers add one at a time into batches for one slow call, so a
// thousand `submitted` events cost a few Kafka round trips instead of a thousand.

export interface Batcher<T> {
  /** Resolves once the batch holding `item` has been flushed; rejects with that batch's error. */
  add: (item: T) => Promise<void>
  /** Flushes what is left and waits for every flush. */
  close: () => Promise<void>
}

interface Pending<T> { item: T, resolve: () => void, reject: (err: unknown) => void }

/**
 * One flush at a time, in order. A batch goes when it holds `maxItems`, when `lingerMs` passed
 * since its first item, or as soon as the previous flush ends (items that came meanwhile).
 */
export function createBatcher<T> (flush: (items: T[]) => Promise<void>, { maxItems = 250, lingerMs = 5 } = {}): Batcher<T> {
  let queue: Array<Pending<T>> = []
  let flushing: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined

  const kick = (): void => {
    if (flushing !== undefined || queue.length === 0) return
    if (timer !== undefined) { clearTimeout(timer); timer = undefined }
    const batch = queue.slice(0, maxItems)
    queue = queue.slice(batch.length)
    // Started on a later tick, so `flushing` is set before the flush can end and clear it.
    flushing = Promise.resolve().then(async () => {
      try {
        await flush(batch.map((p) => p.item))
        for (const p of batch) p.resolve()
      } catch (err) {
        for (const p of batch) p.reject(err)
      } finally {
        flushing = undefined
        kick()
      }
    })
  }

  return {
    add (item) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (flushing !== undefined) return // goes when the flush in progress ends
        if (queue.length >= maxItems) kick()
        else timer ??= setTimeout(() => { timer = undefined; kick() }, lingerMs)
      })
    },
    async close () {
      kick()
      while (flushing !== undefined) {
        await flushing
        kick()
      }
    }
  }
}
