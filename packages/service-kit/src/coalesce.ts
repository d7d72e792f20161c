interface Caller<T> { items: T[], resolve: () => void, reject: (err: unknown) => void }

/**
 * Wraps `send` so that at most one call is in flight; what callers hand in meanwhile goes out
 * together in the next call, in the order it came. A busy service makes one request where it
 * would make many, and an idle one waits for nothing. When a merged call fails with an error
 * `oneCallersFault` blames on the contents (a message the broker refuses), each caller's part is
 * sent alone, so one caller's bad message never fails another's; any other failure (the broker
 * away) reaches every caller of that call at once.
 */
export function coalescing<T> (send: (items: T[]) => Promise<void>, oneCallersFault: (err: unknown) => boolean): (items: T[]) => Promise<void> {
  let queue: Array<Caller<T>> = []
  let draining = false
  const sendAlone = async (caller: Caller<T>): Promise<void> => {
    try {
      await send(caller.items)
      caller.resolve()
    } catch (err) {
      caller.reject(err)
    }
  }
  async function drain (): Promise<void> {
    draining = true
    while (queue.length > 0) {
      const callers = queue
      queue = []
      if (callers.length === 1) {
        await sendAlone(callers[0]!)
        continue
      }
      try {
        await send(callers.flatMap((c) => c.items))
        for (const c of callers) c.resolve()
      } catch (err) {
        if (oneCallersFault(err)) for (const c of callers) await sendAlone(c)
        else for (const c of callers) c.reject(err)
      }
    }
    draining = false
  }
  return async (items) => await new Promise<void>((resolve, reject) => {
    queue.push({ items, resolve, reject })
    if (!draining) void drain()
  })
}
