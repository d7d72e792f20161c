import { FaceBlurError } from '@faceblur/contracts'

export interface RetryPolicy {
  /** Give up once this much time has passed since the first attempt. */
  maxMs: number
  initialDelayMs: number
  maxDelayMs: number
}

/** Delay before retry number `attempt` (1-based): doubling from the initial delay, capped. */
export const backoffMs = (attempt: number, policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>): number =>
  Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1))

const isRetriable = (err: unknown): boolean => (err as { retriable?: unknown }).retriable === true

/**
 * Runs `call`, retrying while it throws a retriable error (its `retriable` flag, or the caller's
 * own test), with backoff, until the policy's time is spent; then the last error is thrown as it is
 * (still retriable: the caller decides). A non-retriable error is thrown at once. `signal` stops
 * the waiting early. The one retry loop of the project.
 */
export async function withRetries<T> (call: () => Promise<T>, policy: RetryPolicy, hooks: { onRetry?: (err: unknown, attempt: number, delayMs: number) => void, signal?: AbortSignal, retriable?: (err: unknown) => boolean } = {}): Promise<T> {
  const started = Date.now()
  const retriable = hooks.retriable ?? isRetriable
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      const delay = backoffMs(attempt, policy)
      if (!retriable(err) || hooks.signal?.aborted === true || Date.now() - started + delay > policy.maxMs) throw err
      hooks.onRetry?.(err, attempt, delay)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/**
 * Runs `work` with an AbortSignal that fires after `ms`; rejects with FB_ERR_TASK_TIMEOUT then,
 * even if `work` ignores the signal (its result is dropped when it finally settles).
 */
export async function withDeadline<T> (ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const err = new FaceBlurError('FB_ERR_TASK_TIMEOUT', `the task ran past its deadline of ${Math.round(ms / 1000)} s`)
      controller.abort(err)
      reject(err)
    }, ms)
  })
  const running = work(controller.signal)
  running.catch(() => {}) // a late failure after the deadline is nobody's to handle
  try {
    return await Promise.race([running, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** `probe`'s answer, or `fallback` if it has none within `ms` (or fails): for health checks that must answer now. */
export async function answerWithin<T> (ms: number, probe: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<T>((resolve) => { timer = setTimeout(() => resolve(fallback), ms) })
  try {
    return await Promise.race([probe.catch(() => fallback), late])
  } finally {
    clearTimeout(timer)
  }
}
