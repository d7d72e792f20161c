// Waiting on the object store: a stage deletes an original only after the task's final status is out
// (a crash before leaves it for the retry), so a client can see the end a moment before the deletion.
import { setTimeout as sleep } from 'node:timers/promises'
import type { ObjectStore } from '@faceblur/service-kit'

/** True once `key` is gone from the store (FB_ERR_SOURCE_MISSING), false if it is still there after `withinMs`. */
export async function goneFromStore (store: Pick<ObjectStore, 'get'>, key: string, withinMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + withinMs
  for (;;) {
    try {
      await store.get(key)
    } catch (err) {
      if ((err as { code?: string }).code === 'FB_ERR_SOURCE_MISSING') return true
      throw err
    }
    if (Date.now() > deadline) return false
    await sleep(100)
  }
}
