// The resume state: an append-only JSON-lines file, one line per change of one file's task.
// The last line for a (kind, path) wins. Parsing and deciding are pure; loading and appending
// are the two small I/O functions at the end.
import { once } from 'node:events'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { isTaskId, type TaskKind } from '@faceblur/contracts'

export const STATE_FILE_NAME = '.faceblur-state.jsonl'

/** SUBMITTED: in the pipeline; SUCCESS: done (and its result written, with --out); FAILURE: the pipeline failed it. */
export type FileStatus = 'SUBMITTED' | 'SUCCESS' | 'FAILURE'

export interface StateEntry {
  /** Relative to the input folder, `/`-separated. */
  path: string
  kind: TaskKind
  task_id: string
  status: FileStatus
  /** The file's size and modification time when submitted: a changed file is submitted again. */
  bytes: number
  mtime_ms: number
  error?: { code: string, message: string }
  at: string
}

export const stateKey = (kind: TaskKind, path: string): string => `${kind}:${path}`

const STATUSES = new Set<string>(['SUBMITTED', 'SUCCESS', 'FAILURE'])

/** One line, or undefined when it is not a state entry (a line cut short by a crash, say). */
export function parseStateLine (line: string): StateEntry | undefined {
  if (line.trim() === '') return undefined
  let v: Partial<StateEntry>
  try {
    v = JSON.parse(line) as Partial<StateEntry>
  } catch {
    return undefined
  }
  if (v === null || typeof v !== 'object') return undefined
  if (typeof v.path !== 'string' || v.path === '' || (v.kind !== 'detect' && v.kind !== 'blur') || !isTaskId(v.task_id) ||
    typeof v.status !== 'string' || !STATUSES.has(v.status) || typeof v.bytes !== 'number' || typeof v.mtime_ms !== 'number') return undefined
  const entry: StateEntry = { path: v.path, kind: v.kind, task_id: v.task_id, status: v.status, bytes: v.bytes, mtime_ms: v.mtime_ms, at: typeof v.at === 'string' ? v.at : '' }
  if (v.error !== undefined && typeof v.error?.code === 'string' && typeof v.error.message === 'string') entry.error = { code: v.error.code, message: v.error.message }
  return entry
}

export const formatStateLine = (entry: StateEntry): string => `${JSON.stringify(entry)}\n`

export interface State {
  entries: Map<string, StateEntry>
  /** Lines that were not entries (skipped). */
  malformed: number
}

export const emptyState = (): State => ({ entries: new Map(), malformed: 0 })

/** Folds one line into the state: the last line for a (kind, path) wins. */
export function applyStateLine (state: State, line: string): void {
  if (line.trim() === '') return
  const entry = parseStateLine(line)
  if (entry === undefined) { state.malformed++; return }
  state.entries.set(stateKey(entry.kind, entry.path), entry)
}

export function parseState (text: string): State {
  const state = emptyState()
  for (const line of text.split('\n')) applyStateLine(state, line)
  return state
}

/**
 * What to do with a file, given its last state entry:
 * - `submit`: new, changed since (size or mtime), or failed before and `retryFailed`;
 * - `skip-done`: its task succeeded (and its result was written);
 * - `skip-failed`: its task failed in an earlier run;
 * - `follow`: submitted earlier and not known to be finished: follow that task, do not resubmit.
 */
export type Decision = 'submit' | 'skip-done' | 'skip-failed' | 'follow'

export function decide (entry: StateEntry | undefined, file: { bytes: number, mtimeMs: number }, retryFailed: boolean): Decision {
  if (entry === undefined) return 'submit'
  if (entry.bytes !== file.bytes || entry.mtime_ms !== file.mtimeMs) return 'submit'
  if (entry.status === 'SUCCESS') return 'skip-done'
  if (entry.status === 'FAILURE') return retryFailed ? 'submit' : 'skip-failed'
  return 'follow'
}

/** Reads a state file line by line; a missing file is an empty state. */
export async function loadState (file: string): Promise<State> {
  const state = emptyState()
  const input = createReadStream(file, { encoding: 'utf8' })
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) applyStateLine(state, line)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state
    throw err
  }
  return state
}

export interface StateWriter {
  append: (entry: StateEntry) => void
  close: () => Promise<void>
}

/** Appends entries to the state file (created with its folder when missing). */
export async function openStateWriter (file: string): Promise<StateWriter> {
  await mkdir(dirname(file), { recursive: true })
  const stream: WriteStream = createWriteStream(file, { flags: 'a' })
  await once(stream, 'open')
  let failed: Error | undefined
  stream.on('error', (err) => { failed = err })
  return {
    append (entry) {
      if (failed !== undefined) throw failed
      stream.write(formatStateLine(entry))
    },
    async close () {
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => { if (err != null) reject(err); else resolve() }))
      if (failed !== undefined) throw failed
    }
  }
}
