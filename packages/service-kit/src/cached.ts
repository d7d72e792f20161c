/**
 * `f`, answered from its last result for `ms` after that result arrived; concurrent callers share
 * one call. For probes (`/ready`, consumer lag) that a busy scraper or load balancer may call many
 * times a second: the broker and the store are asked at most once per `ms`.
 */
export function cachedFor<T> (ms: number, f: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let last: { at: number, value: Promise<T> } | undefined
  return async () => {
    if (last === undefined || now() - last.at >= ms) {
      const value = f()
      last = { at: Infinity, value } // in flight: shared, never stale
      value.then(() => { last = { at: now(), value } }, () => { last = undefined })
    }
    return await last.value
  }
}
