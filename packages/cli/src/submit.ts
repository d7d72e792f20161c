// `faceblur submit`: walk the folder, put each image in the bucket and produce `submitted` (what
// any bulk producer does), optionally follow the status topic and write the results. The bus and
// the store come in from the entry point (tests hand in the real adapters, wrapped for faults).
// The steps, each in its own module: take-files (walk, decide per file), upload (upload and
// produce), follow and results (--wait), run (the state they share and the summary).
import { randomUUID } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { Topics } from '@faceblur/contracts'
import type { Bus, ObjectStore } from '@faceblur/service-kit'
import type { SubmitArgs } from './args.js'
import { startFollowing } from './follow.js'
import { createProgress, type ProgressStream } from './progress.js'
import { createRun, endSummary, progressOf, stopOnAbort, type RunPaths } from './run.js'
import { loadState, openStateWriter, STATE_FILE_NAME } from './state-file.js'
import type { Summary } from './summary.js'
import { countImages, takeFiles } from './take-files.js'
import { createUploader } from './upload.js'

export interface SubmitDeps {
  bus: Pick<Bus, 'publish' | 'consume'>
  store: Pick<ObjectStore, 'bucket' | 'put' | 'get'>
  topics: Pick<Topics, 'submitted' | 'status'>
  /** The status follower's consumer group: a new one per run, so it reads the topic from the start. */
  groupId: string
  /** Where the progress line goes (stderr). */
  progress: ProgressStream
  now?: () => number
  newTaskId?: () => string
  /** Aborting stops taking new files; what is in flight finishes and is recorded. */
  signal?: AbortSignal
}

/** A problem that stops the run before it starts (no such folder, ...), with its exit status. */
export class SubmitError extends Error {
  override readonly name = 'SubmitError'
  constructor (message: string, readonly exitCode = 2) {
    super(message)
  }
}

const isBelow = (parent: string, child: string): boolean => {
  const rel = relative(parent, child)
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

/** The folders and the state file, checked before anything is read or written. */
async function resolvePaths (args: SubmitArgs): Promise<RunPaths> {
  const root = resolve(args.dir)
  const rootInfo = await stat(root).catch(() => undefined)
  if (rootInfo?.isDirectory() !== true) throw new SubmitError(`${args.dir} is not a folder`)
  const outDir = args.out === undefined ? undefined : resolve(args.out)
  if (outDir === root) throw new SubmitError('--out must not be the input folder itself (results would overwrite the images)')
  const stateFile = resolve(args.state ?? join(outDir ?? root, STATE_FILE_NAME))
  const exclude = outDir !== undefined && isBelow(root, outDir) ? [outDir] : []
  return { root, outDir, stateFile, exclude }
}

export async function runSubmit (args: SubmitArgs, deps: SubmitDeps): Promise<Summary> {
  const now = deps.now ?? Date.now
  const startedAt = now()
  const paths = await resolvePaths(args)
  const state = await loadState(paths.stateFile)
  const writer = await openStateWriter(paths.stateFile)
  const run = createRun(args, paths, writer, now, startedAt)
  const stopListening = stopOnAbort(run, deps.signal)

  const counting = countImages(run).catch(() => undefined) // the main walk reports the same errors
  const progress = createProgress(deps.progress, now, { enabled: !args.quiet })
  const follower = args.wait
    ? startFollowing(run, state, { bus: deps.bus, store: deps.store, topic: deps.topics.status, groupId: deps.groupId })
    : undefined
  const submit = createUploader(run, { bus: deps.bus, store: deps.store, topic: deps.topics.submitted, newTaskId: deps.newTaskId ?? randomUUID, follower })
  await takeFiles(run, { state, progress, submit, follow: follower?.follow })
  if (run.stopped === undefined) await counting
  if (run.total !== undefined) run.summary.found = run.total // stopped early: still say how many there are

  if (follower === undefined) {
    run.summary.unfinished = run.summary.submitted + run.summary.followed
    progress.end(progressOf(run))
  } else {
    await follower.waitForAll(progress)
  }
  stopListening()
  await writer.close()
  return endSummary(run)
}
