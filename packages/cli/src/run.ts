// One run's shared state, handed explicitly to each step of `faceblur submit`: the summary it
// fills, why it stopped (when it did), the counts the progress line shows, and the state file it
// records each file's task in.
import { isFaceBlurError } from '@faceblur/contracts'
import type { SubmitArgs } from './args.js'
import type { ProgressState } from './progress.js'
import type { FileStatus, StateEntry, StateWriter } from './state-file.js'
import type { Failure, Summary } from './summary.js'
import type { WalkedFile } from './walk.js'

/** A file being handled, with the size and mtime its task is recorded against. */
export interface Tracked { file: WalkedFile, bytes: number, mtimeMs: number }

/** Where the run reads and writes, resolved once at the start. */
export interface RunPaths {
  root: string
  /** --out, resolved; undefined: no results are written. */
  outDir: string | undefined
  stateFile: string
  /** Folders the walks do not enter: --out, when it lies inside the input folder. */
  exclude: string[]
}

export interface Run {
  readonly args: SubmitArgs
  readonly paths: RunPaths
  readonly summary: Summary
  readonly now: () => number
  readonly startedAt: number
  /** Why the run stopped taking files (the first reason wins); undefined while it goes on. */
  readonly stopped: string | undefined
  /** Files handled so far; every image's count once the counting walk has ended. */
  handled: number
  total: number | undefined
  /** With --wait: the tasks followed, and how many of them finished (ok / failed). */
  readonly following: { total: number, ok: number, failed: number }
  /** Elapsed time when the wait began; undefined while submitting. */
  waitStartedMs: number | undefined
  stop: (why: string) => void
  fail: (f: Failure) => void
  record: (t: Tracked, taskId: string, status: FileStatus, error?: { code: string, message: string }) => void
}

export const codeOf = (err: unknown): string => isFaceBlurError(err) ? err.code : (err as NodeJS.ErrnoException).code ?? 'FB_ERR_INTERNAL'
export const messageOf = (err: unknown): string => (err as Error).message ?? String(err)

export function emptySummary (args: SubmitArgs, stateFile: string): Summary {
  const summary: Summary = {
    kind: args.kind, dir: args.dir, state: stateFile, found: 0, ignored: 0, submitted: 0, followed: 0, skipped: 0, skippedFailed: 0,
    succeeded: 0, failed: 0, unfinished: 0, failures: [], elapsedMs: 0
  }
  if (args.out !== undefined) summary.out = args.out
  return summary
}

export function createRun (args: SubmitArgs, paths: RunPaths, writer: Pick<StateWriter, 'append'>, now: () => number, startedAt: number): Run {
  const summary = emptySummary(args, paths.stateFile)
  let stopped: string | undefined
  return {
    args, paths, summary, now, startedAt,
    get stopped () { return stopped },
    handled: 0,
    total: undefined,
    following: { total: 0, ok: 0, failed: 0 },
    waitStartedMs: undefined,
    stop (why) { stopped ??= why },
    fail (f) { summary.failures.push(f); if (f.earlier !== true) summary.failed++ },
    record (t, taskId, status, error) {
      const entry: StateEntry = { path: t.file.relative, kind: args.kind, task_id: taskId, status, bytes: t.bytes, mtime_ms: t.mtimeMs, at: new Date(now()).toISOString() }
      if (error !== undefined) entry.error = error
      writer.append(entry)
    }
  }
}

/** Aborting the signal stops the run; returns the function that stops listening. */
export function stopOnAbort (run: Run, signal: AbortSignal | undefined): () => void {
  const onAbort = (): void => run.stop('interrupted')
  if (signal?.aborted === true) onAbort()
  signal?.addEventListener('abort', onAbort, { once: true })
  return () => signal?.removeEventListener('abort', onAbort)
}

/** What the progress line shows now. */
export const progressOf = (run: Run): ProgressState => ({
  phase: run.waitStartedMs === undefined ? 'submit' : 'wait',
  found: run.total ?? run.summary.found,
  walked: run.total !== undefined,
  handled: run.handled,
  submitted: run.summary.submitted,
  ...(run.args.wait ? { following: { ...run.following } } : {}),
  elapsedMs: run.now() - run.startedAt,
  ...(run.waitStartedMs === undefined ? {} : { waitStartedMs: run.waitStartedMs })
})

/** The summary as the run ends: why it stopped, if it did, and how long it took. */
export function endSummary (run: Run): Summary {
  if (run.stopped !== undefined) run.summary.stopped = run.stopped
  run.summary.elapsedMs = run.now() - run.startedAt
  return run.summary
}
