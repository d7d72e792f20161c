// A followed task that has finished: its result mirrored under --out (detections as JSON, blurred
// images fetched from the bucket), its outcome counted and recorded in the state file.
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { detectionResultBody, isFaceBlurError, type TaskStatusV1 } from '@faceblur/contracts'
import type { ObjectStore } from '@faceblur/service-kit'
import { outputRelativePath } from './paths.js'
import { codeOf, messageOf, type Run, type Tracked } from './run.js'

type Store = Pick<ObjectStore, 'get'>

/** Writes through a temporary name, so an interrupted run never leaves half a result. */
async function writeAtomically (path: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

/** Writes a succeeded task's result under `outDir`, where `relative` (the input file) sits in the input folder. */
export async function writeResult (outDir: string, relative: string, result: TaskStatusV1['result'], store: Store): Promise<void> {
  if (result?.kind === 'detect') {
    const body = detectionResultBody(result.faces.map((f) => f.box))
    await writeAtomically(join(outDir, outputRelativePath(relative, 'detect')), `${JSON.stringify(body)}\n`)
  } else if (result?.kind === 'blur') {
    const image = await store.get(result.object.key)
    await writeAtomically(join(outDir, outputRelativePath(relative, 'blur', result.object.content_type)), image)
  } else {
    throw Object.assign(new Error('the task succeeded without a result'), { code: 'FB_ERR_INTERNAL' })
  }
}

/** Counts and records a task whose status is terminal, writing its result first when there is an --out. */
export async function finishTask (run: Run, store: Store, taskId: string, t: Tracked, status: TaskStatusV1): Promise<void> {
  if (status.status === 'FAILURE') {
    const error = status.error ?? { code: 'FB_ERR_INTERNAL', message: 'the task failed without saying why' }
    run.following.failed++
    run.fail({ path: t.file.relative, task_id: taskId, ...error })
    run.record(t, taskId, 'FAILURE', error)
    return
  }
  try {
    if (run.paths.outDir !== undefined) await writeResult(run.paths.outDir, t.file.relative, status.result, store)
    run.following.ok++
    run.summary.succeeded++
    run.record(t, taskId, 'SUCCESS')
  } catch (err) {
    run.following.failed++
    const error = { code: codeOf(err), message: `writing the result: ${messageOf(err)}` }
    run.fail({ path: t.file.relative, task_id: taskId, ...error })
    // A result that is gone (expired) will not come back: the task counts as failed. Anything
    // else (disk full, MinIO down) leaves it SUBMITTED, so the next run fetches it again.
    if (isFaceBlurError(err) && !err.retriable) run.record(t, taskId, 'FAILURE', error)
  }
}
