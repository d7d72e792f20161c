// Submitting one file: read it, check it is an image, put it in the bucket and produce its
// `submitted` event, merged by the bus with the other workers' sends. A refused file is that file's
// failure; a store or a bus that refuses stops the run.
import { readFile } from 'node:fs/promises'
import { IMAGE_FORMATS, codecs, isFaceBlurError, sniffImageFormat, uploadKey, type TaskSubmittedV1 } from '@faceblur/contracts'
import type { Bus, ObjectStore } from '@faceblur/service-kit'
import type { SubmitArgs } from './args.js'
import { codeOf, messageOf, type Run, type Tracked } from './run.js'

export interface UploadDeps {
  bus: Pick<Bus, 'publish'>
  store: Pick<ObjectStore, 'bucket' | 'put'>
  /** The `submitted` topic. */
  topic: string
  newTaskId: () => string
  /** With --wait: the status follower, told of each task before its event is produced. */
  follower?: { follow: (taskId: string, t: Tracked) => void, unfollow: (taskId: string) => void }
}

/**
 * Uploads a file and produces its event; resolves once Kafka has it. Workers call it concurrently,
 * and the bus merges their sends into one request while one is in flight (coalesce.ts), so a
 * thousand events cost a few round trips, not a thousand.
 */
export const createUploader = (run: Run, deps: UploadDeps): (t: Tracked) => Promise<void> =>
  async (t) => { await submitFile(run, deps, t) }

/** The event that announces a task, as any bulk producer writes it. */
export const submittedEvent = (args: Pick<SubmitArgs, 'kind' | 'blur'>, taskId: string, source: TaskSubmittedV1['source'], at: string): TaskSubmittedV1 => ({
  task_id: taskId,
  kind: args.kind,
  source,
  ...(args.blur === undefined ? {} : { options: { blur: args.blur } }),
  submitted_at: at
})

/** The file's bytes and type, or undefined (and the file failed) when it is empty or not an image. */
async function readImage (run: Run, t: Tracked): Promise<{ bytes: Buffer, contentType: string } | undefined> {
  if (t.bytes === 0) { run.fail({ path: t.file.relative, code: 'FB_ERR_UPLOAD_EMPTY', message: 'the file is empty' }); return undefined }
  const bytes = await readFile(t.file.path)
  const format = sniffImageFormat(bytes)
  if (format === undefined) {
    run.fail({ path: t.file.relative, code: 'FB_ERR_IMAGE_UNSUPPORTED', message: 'not an image in a supported format (judged from its first bytes); not submitted' })
    return undefined
  }
  return { bytes, contentType: IMAGE_FORMATS[format].contentType }
}

async function submitFile (run: Run, deps: UploadDeps, t: Tracked): Promise<void> {
  const path = t.file.relative
  const image = await readImage(run, t)
  if (image === undefined) return
  const taskId = deps.newTaskId()
  const key = uploadKey(taskId)
  try {
    await deps.store.put(key, image.bytes, image.contentType)
  } catch (err) {
    run.fail({ path, code: codeOf(err), message: messageOf(err) })
    run.stop(`the object store refused an upload (${codeOf(err)})`)
    return
  }
  const source = { bucket: deps.store.bucket, key, content_type: image.contentType, bytes: image.bytes.length }
  const submitted = submittedEvent(run.args, taskId, source, new Date(run.now()).toISOString())
  // `submitted` only, as every bulk producer (DESIGN): the detector that takes the task announces
  // its PENDING, the one status writer for tasks that did not come through a gateway.
  deps.follower?.follow(taskId, t) // before producing: its statuses may come back at once
  try {
    await deps.bus.publish([{ topic: deps.topic, key: taskId, value: codecs.taskSubmitted.encode(submitted) }])
  } catch (err) {
    deps.follower?.unfollow(taskId)
    run.fail({ path, code: isFaceBlurError(err) ? err.code : 'FB_ERR_BUS_UNAVAILABLE', message: messageOf(err) })
    run.stop('Kafka refused the submitted events')
    return
  }
  run.record(t, taskId, 'SUBMITTED')
  run.summary.submitted++
}
