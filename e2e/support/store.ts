// Waiting on the object store: a stage deletes an original only after the task's final status is out
// (a crash before leaves it for the retry), so a client can see the end a moment before the deletion.
import type { ObjectStore } from '@faceblur/service-kit'
import { until } from './wait.js'

/** True once `key` is gone from the store (FB_ERR_SOURCE_MISSING), false if it is still there after `withinMs`. */
export async function goneFromStore (store: Pick<ObjectStore, 'get'>, key: string, withinMs = 15_000): Promise<boolean> {
  const gone = async (): Promise<boolean> => await store.get(key).then(() => false, (err: { code?: string }) => {
    if (err.code === 'FB_ERR_SOURCE_MISSING') return true
    throw err
  })
  return await until(gone, withinMs, `${key} gone`).then(() => true, async () => await gone())
}
