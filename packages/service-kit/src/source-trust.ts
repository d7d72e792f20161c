import { FaceBlurError, uploadKey, type ObjectRef } from '@faceblur/contracts'

/**
 * The trust boundary for an event's source: producers may only point a stage at
 * `uploads/{task_id}` in the configured bucket, no larger than the upload limit. Anything else
 * (another task's result, another bucket, a huge object) is refused before a byte is read.
 */
export function checkSource (taskId: string, source: ObjectRef, limits: { bucket: string, maxBytes: number }): void {
  if (source.bucket !== limits.bucket) throw new FaceBlurError('FB_ERR_SOURCE_REFUSED', `source bucket "${source.bucket}" is not the configured bucket`)
  if (source.key !== uploadKey(taskId)) throw new FaceBlurError('FB_ERR_SOURCE_REFUSED', `source key "${source.key.slice(0, 200)}" is not ${uploadKey(taskId)}`)
  checkSourceSize(source.bytes, limits.maxBytes)
}

/** Called with the size the event claims and again with the size the store reports. */
export function checkSourceSize (bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) throw new FaceBlurError('FB_ERR_SOURCE_REFUSED', `the source is ${bytes} bytes, over the ${maxBytes}-byte upload limit`)
}
