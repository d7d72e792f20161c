/** Runs at most `n` of the given jobs at once; the others wait their turn in order. */
export function createLimiter (n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0
  const waiting: Array<() => void> = []
  return async (job) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve))
    else running++
    try {
      return await job()
    } finally {
      const next = waiting.shift()
      if (next !== undefined) next() // the slot passes straight to the next job
      else running--
    }
  }
}
