// Waiting on a condition instead of a fixed sleep.
import { setTimeout as sleep } from 'node:timers/promises'

/** Resolves once `condition` holds, polling every 100 ms; throws (naming `what`) after `withinMs`. */
export async function until (condition: () => Promise<boolean> | boolean, withinMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + withinMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not so after ${withinMs} ms`)
    await sleep(100)
  }
}
