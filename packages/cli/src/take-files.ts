// Walking the folder and deciding, file by file, what to do with each image: skip it (done or
// failed in an earlier run), follow the task an earlier run submitted, or submit it.
import { stat } from 'node:fs/promises'
import { relative } from 'node:path'
import { isImagePath } from './paths.js'
import type { Progress } from './progress.js'
import { codeOf, messageOf, progressOf, type Run, type Tracked } from './run.js'
import { decide, stateKey, type State } from './state-file.js'
import { walkFiles, type WalkedFile } from './walk.js'

export interface FileSteps {
  /** What earlier runs recorded. */
  state: State
  progress: Progress
  /** Uploads the file and produces its `submitted` event. */
  submit: (t: Tracked) => Promise<void>
  /** With --wait: follows a task to its end. */
  follow?: (taskId: string, t: Tracked) => void
}

/** The total, counted by a second lazy walk alongside (names only), for the progress line. */
export async function countImages (run: Run): Promise<void> {
  let n = 0
  for await (const f of walkFiles(run.paths.root, { exclude: run.paths.exclude })) {
    if (run.stopped !== undefined) return
    if (isImagePath(f.relative)) n++
  }
  run.total = n
}

/** Hands every image under the root to one of `concurrency` workers, until the walk ends or the run stops. */
export async function takeFiles (run: Run, steps: FileSteps): Promise<void> {
  const { root, exclude, stateFile } = run.paths
  const files = walkFiles(root, {
    exclude,
    onError: (path, err) => run.fail({ path: relative(root, path) || '.', code: err.code ?? 'EIO', message: `folder not read: ${err.message}` })
  })
  const worker = async (): Promise<void> => {
    // One shared iterator: each worker asks for the next file when it is free (never `for await`,
    // whose early exit would close the walk for every worker).
    while (run.stopped === undefined) {
      let next: IteratorResult<WalkedFile>
      try {
        next = await files.next()
      } catch (err) {
        run.stop(`cannot walk ${run.args.dir}: ${messageOf(err)}`)
        return
      }
      if (next.done === true) return
      if (next.value.path === stateFile) continue
      if (!isImagePath(next.value.relative)) { run.summary.ignored++; continue }
      run.summary.found++
      await handleFile(run, steps, next.value)
      run.handled++
      steps.progress.update(progressOf(run))
    }
  }
  await Promise.all(Array.from({ length: run.args.concurrency }, worker))
  await files.return(undefined) // a run stopped early leaves the walk mid-folder: close its handle
}

/** One image: skipped, followed or submitted, as its last state entry and its size and mtime decide. */
async function handleFile (run: Run, steps: FileSteps, file: WalkedFile): Promise<void> {
  const { args, summary } = run
  let info
  try {
    info = await stat(file.path)
  } catch (err) {
    run.fail({ path: file.relative, code: codeOf(err), message: messageOf(err) })
    return
  }
  const t: Tracked = { file, bytes: info.size, mtimeMs: info.mtimeMs }
  const entry = steps.state.entries.get(stateKey(args.kind, file.relative))
  switch (decide(entry, { bytes: info.size, mtimeMs: info.mtimeMs }, args.retryFailed)) {
    case 'skip-done':
      summary.skipped++
      return
    case 'skip-failed':
      summary.skipped++
      summary.skippedFailed++
      run.fail({ path: file.relative, task_id: entry!.task_id, code: entry!.error?.code ?? 'FB_ERR_INTERNAL', message: entry!.error?.message ?? 'failed', earlier: true })
      return
    case 'follow':
      summary.followed++
      steps.follow?.(entry!.task_id, t)
      return
    case 'submit':
      try {
        await steps.submit(t)
      } catch (err) {
        run.fail({ path: file.relative, code: codeOf(err), message: messageOf(err) })
      }
  }
}
