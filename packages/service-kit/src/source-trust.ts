import { FaceBlurError, uploadKey, workPrefix, type ObjectRef } from '@faceblur/contracts'

/**
 * Where a stage's source may be: `upload` for what producers submit (exactly `uploads/{task_id}`),
 * `work` for the video stages' own intermediate objects (under `work/{task_id}/`).
 */
export type SourcePlace = 'upload' | 'work'

/**
 * The trust boundary for an event's source: producers may only point a stage at
 * `uploads/{task_id}` in the configured bucket, no larger than the upload limit. Anything else
 * (another task's result, another bucket, a huge object) is refused before a byte is read.
 */
export function checkSource (taskId: string, source: ObjectRef, limits: { bucket: string, maxBytes: number, place?: SourcePlace }): void {
  if (source.bucket !== limits.bucket) throw new FaceBlurError('FB_ERR_SOURCE_REFUSED', `source bucket "${source.bucket}" is not the configured bucket`)
  if ((limits.place ?? 'upload') === 'upload') {
    if (source.key !== uploadKey(taskId)) throw new FaceBlurError('FB_ERR_SOURCE_REFUSED', `source key "${source.key.slice(0, 200)}" is not ${uploadKey(taskId)}`)
  } else if (!source.key.startsWith(workPrefix(taskId)) || source.key.includes('..')) {
    throw new FaceBlurError('FB_ERR_SOURCE_REFUSED', `source key "${source.key.slice(0, 200)}" is not under ${workPrefix(taskId)}`)
  }
  checkSourceSize(source.bytes, limits.maxBytes)
}

/** Called with the size the event claims and again with the size the store reports. */
export function checkSourceSize (bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) throw new FaceBlurError('FB_ERR_SOURCE_REFUSED', `the source is ${bytes} bytes, over the ${maxBytes}-byte upload limit`)
}
