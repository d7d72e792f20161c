// `faceblur submit`: walk the folder, put each image in the bucket and produce `submitted` (what
// any bulk producer does), optionally follow the status topic and write the results. The bus and
// the store come in from the entry point (tests hand in the real adapters, wrapped for faults).
import { randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  advance, codecs, detectionResultBody, isFaceBlurError, isTerminal, uploadKey,
  type TaskStatusV1, type TaskSubmittedV1, type Topics
} from '@faceblur/contracts'
import type { Bus, ObjectStore, OutgoingMessage, Subscription } from '@faceblur/service-kit'
import type { SubmitArgs } from './args.js'
import { createBatcher } from './batcher.js'
import { createLimiter } from './limit.js'
import { isImagePath, outputRelativePath, sniffContentType } from './paths.js'
import { createProgress, type ProgressState, type ProgressStream } from './progress.js'
import { decide, loadState, openStateWriter, stateKey, STATE_FILE_NAME, type StateEntry } from './state-file.js'
import type { Failure, Summary } from './summary.js'
import { walkFiles, type WalkedFile } from './walk.js'

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

interface Tracked { file: WalkedFile, bytes: number, mtimeMs: number }

const codeOf = (err: unknown): string => isFaceBlurError(err) ? err.code : (err as NodeJS.ErrnoException).code ?? 'FB_ERR_INTERNAL'
const messageOf = (err: unknown): string => (err as Error).message ?? String(err)

const isBelow = (parent: string, child: string): boolean => {
  const rel = relative(parent, child)
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

/** Writes through a temporary name, so an interrupted run never leaves half a result. */
async function writeAtomically (path: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

export async function runSubmit (args: SubmitArgs, deps: SubmitDeps): Promise<Summary> {
  const now = deps.now ?? Date.now
  const newTaskId = deps.newTaskId ?? randomUUID
  const startedAt = now()
  const root = resolve(args.dir)
  const rootInfo = await stat(root).catch(() => undefined)
  if (rootInfo?.isDirectory() !== true) throw new SubmitError(`${args.dir} is not a folder`)
  const outDir = args.out === undefined ? undefined : resolve(args.out)
  if (outDir === root) throw new SubmitError('--out must not be the input folder itself (results would overwrite the images)')
  const stateFile = resolve(args.state ?? join(outDir ?? root, STATE_FILE_NAME))
  const state = await loadState(stateFile)
  const writer = await openStateWriter(stateFile)
  const exclude = outDir !== undefined && isBelow(root, outDir) ? [outDir] : []

  const summary: Summary = {
    kind: args.kind, dir: args.dir, state: stateFile, found: 0, ignored: 0, submitted: 0, followed: 0, skipped: 0, skippedFailed: 0,
    succeeded: 0, failed: 0, unfinished: 0, failures: [], elapsedMs: 0
  }
  if (args.out !== undefined) summary.out = args.out
  const fail = (f: Failure): void => { summary.failures.push(f); if (f.earlier !== true) summary.failed++ }
  const record = (t: Tracked, taskId: string, status: StateEntry['status'], error?: { code: string, message: string }): void => {
    const entry: StateEntry = { path: t.file.relative, kind: args.kind, task_id: taskId, status, bytes: t.bytes, mtime_ms: t.mtimeMs, at: new Date(now()).toISOString() }
    if (error !== undefined) entry.error = error
    writer.append(entry)
  }

  let stopped: string | undefined
  const stop = (why: string): void => { stopped ??= why }
  const onAbort = (): void => stop('interrupted')
  if (deps.signal?.aborted === true) onAbort()
  deps.signal?.addEventListener('abort', onAbort, { once: true })

  // The total, counted by a second lazy walk alongside (names only), for the progress line.
  let total: number | undefined
  const counting = (async () => {
    let n = 0
    for await (const f of walkFiles(root, { exclude })) {
      if (stopped !== undefined) return
      if (isImagePath(f.relative)) n++
    }
    total = n
  })().catch(() => undefined) // the main walk reports the same errors

  const progress = createProgress(deps.progress, now, { enabled: !args.quiet })
  let handled = 0
  let waitStartedMs: number | undefined
  const following = { total: 0, ok: 0, failed: 0 }
  const progressState = (): ProgressState => ({
    phase: waitStartedMs === undefined ? 'submit' : 'wait',
    found: total ?? summary.found,
    walked: total !== undefined,
    handled,
    submitted: summary.submitted,
    ...(args.wait ? { following: { ...following } } : {}),
    elapsedMs: now() - startedAt,
    ...(waitStartedMs === undefined ? {} : { waitStartedMs })
  })

  // --- following the status topic (--wait) -------------------------------------------------
  // Statuses are kept only for tasks this run may care about: the ones the state file says are
  // still in the pipeline, and the ones submitted now (registered before they are produced).
  const known = new Map<string, TaskStatusV1 | null>()
  const waiting = new Map<string, Tracked>()
  const finishing = new Set<Promise<void>>()
  const limitFinish = createLimiter(Math.max(2, args.concurrency))

  async function finish (taskId: string, t: Tracked, status: TaskStatusV1): Promise<void> {
    if (status.status === 'FAILURE') {
      const error = status.error ?? { code: 'FB_ERR_INTERNAL', message: 'the task failed without saying why' }
      following.failed++
      fail({ path: t.file.relative, task_id: taskId, ...error })
      record(t, taskId, 'FAILURE', error)
      return
    }
    try {
      if (outDir !== undefined) {
        const result = status.result
        if (result?.kind === 'detect') {
          const body = detectionResultBody(result.faces.map((f) => f.box))
          await writeAtomically(join(outDir, outputRelativePath(t.file.relative, 'detect')), `${JSON.stringify(body)}\n`)
        } else if (result?.kind === 'blur') {
          const image = await deps.store.get(result.object.key)
          await writeAtomically(join(outDir, outputRelativePath(t.file.relative, 'blur', result.object.content_type)), image)
        } else {
          throw Object.assign(new Error('the task succeeded without a result'), { code: 'FB_ERR_INTERNAL' })
        }
      }
      following.ok++
      summary.succeeded++
      record(t, taskId, 'SUCCESS')
    } catch (err) {
      following.failed++
      const error = { code: codeOf(err), message: `writing the result: ${messageOf(err)}` }
      fail({ path: t.file.relative, task_id: taskId, ...error })
      // A result that is gone (expired) will not come back: the task counts as failed. Anything
      // else (disk full, MinIO down) leaves it SUBMITTED, so the next run fetches it again.
      if (isFaceBlurError(err) && !err.retriable) record(t, taskId, 'FAILURE', error)
    }
  }

  function maybeFinish (taskId: string): void {
    const status = known.get(taskId)
    const t = waiting.get(taskId)
    if (status == null || t === undefined || !isTerminal(status.status)) return
    waiting.delete(taskId)
    known.delete(taskId) // final: later copies of its statuses change nothing
    const job = limitFinish(async () => { await finish(taskId, t, status) })
      .catch((err: unknown) => stop(`cannot record a finished task: ${messageOf(err)}`))
    finishing.add(job)
    void job.finally(() => finishing.delete(job))
  }

  function follow (taskId: string, t: Tracked): void {
    if (!known.has(taskId)) known.set(taskId, null)
    waiting.set(taskId, t)
    following.total++
    maybeFinish(taskId)
  }

  let subscribing: Promise<Subscription> | undefined
  if (args.wait) {
    for (const e of state.entries.values()) if (e.kind === args.kind && e.status === 'SUBMITTED') known.set(e.task_id, null)
    subscribing = deps.bus.consume({
      groupId: deps.groupId,
      topics: [deps.topics.status],
      fromBeginning: true,
      commit: 'never', // a group of its own every run: its position is never read again
      partitionsConcurrently: 8,
      handle: async (m) => {
        const parsed = codecs.taskStatus.parse(m.value)
        if (!parsed.ok || !known.has(parsed.value.task_id)) return
        const id = parsed.value.task_id
        known.set(id, advance(known.get(id) ?? undefined, parsed.value))
        maybeFinish(id)
      }
    })
    subscribing.catch((err: unknown) => stop(`cannot follow ${deps.topics.status}: ${messageOf(err)}`))
  }

  // --- submitting ----------------------------------------------------------------------------
  const batcher = createBatcher<OutgoingMessage>((messages) => deps.bus.publish(messages))

  async function submitFile (t: Tracked): Promise<void> {
    const { file } = t
    if (t.bytes === 0) { fail({ path: file.relative, code: 'FB_ERR_UPLOAD_EMPTY', message: 'the file is empty' }); return }
    const bytes = await readFile(file.path)
    const contentType = sniffContentType(bytes)
    if (contentType === undefined) {
      fail({ path: file.relative, code: 'FB_ERR_IMAGE_UNSUPPORTED', message: 'not an image in a supported format (judged from its first bytes); not submitted' })
      return
    }
    const taskId = newTaskId()
    const key = uploadKey(taskId)
    try {
      await deps.store.put(key, bytes, contentType)
    } catch (err) {
      fail({ path: file.relative, code: codeOf(err), message: messageOf(err) })
      stop(`the object store refused an upload (${codeOf(err)})`)
      return
    }
    const at = new Date(now()).toISOString()
    const submitted: TaskSubmittedV1 = {
      task_id: taskId,
      kind: args.kind,
      source: { bucket: deps.store.bucket, key, content_type: contentType, bytes: bytes.length },
      ...(args.blur === undefined ? {} : { options: { blur: args.blur } }),
      submitted_at: at
    }
    // `submitted` only, as every bulk producer (DESIGN): the detector that takes the task announces
    // its PENDING, the one status writer for tasks that did not come through a gateway.
    if (args.wait) follow(taskId, t) // before producing: its statuses may come back at once
    try {
      await batcher.add({ topic: deps.topics.submitted, key: taskId, value: codecs.taskSubmitted.encode(submitted) })
    } catch (err) {
      if (args.wait) { waiting.delete(taskId); following.total-- }
      fail({ path: file.relative, code: isFaceBlurError(err) ? err.code : 'FB_ERR_BUS_UNAVAILABLE', message: messageOf(err) })
      stop('Kafka refused the submitted events')
      return
    }
    record(t, taskId, 'SUBMITTED')
    summary.submitted++
  }

  async function handleFile (file: WalkedFile): Promise<void> {
    let info
    try {
      info = await stat(file.path)
    } catch (err) {
      fail({ path: file.relative, code: codeOf(err), message: messageOf(err) })
      return
    }
    const t: Tracked = { file, bytes: info.size, mtimeMs: info.mtimeMs }
    const entry = state.entries.get(stateKey(args.kind, file.relative))
    switch (decide(entry, { bytes: info.size, mtimeMs: info.mtimeMs }, args.retryFailed)) {
      case 'skip-done':
        summary.skipped++
        return
      case 'skip-failed':
        summary.skipped++
        summary.skippedFailed++
        fail({ path: file.relative, task_id: entry!.task_id, code: entry!.error?.code ?? 'FB_ERR_INTERNAL', message: entry!.error?.message ?? 'failed', earlier: true })
        return
      case 'follow':
        summary.followed++
        if (args.wait) follow(entry!.task_id, t)
        return
      case 'submit':
        try {
          await submitFile(t)
        } catch (err) {
          fail({ path: file.relative, code: codeOf(err), message: messageOf(err) })
        }
    }
  }

  const files = walkFiles(root, {
    exclude,
    onError: (path, err) => fail({ path: relative(root, path) || '.', code: err.code ?? 'EIO', message: `folder not read: ${err.message}` })
  })
  const worker = async (): Promise<void> => {
    // One shared iterator: each worker asks for the next file when it is free (never `for await`,
    // whose early exit would close the walk for every worker).
    while (stopped === undefined) {
      let next: IteratorResult<WalkedFile>
      try {
        next = await files.next()
      } catch (err) {
        stop(`cannot walk ${args.dir}: ${messageOf(err)}`)
        return
      }
      if (next.done === true) return
      if (next.value.path === stateFile) continue
      if (!isImagePath(next.value.relative)) { summary.ignored++; continue }
      summary.found++
      await handleFile(next.value)
      handled++
      progress.update(progressState())
    }
  }
  await Promise.all(Array.from({ length: args.concurrency }, worker))
  await files.return(undefined) // a run stopped early leaves the walk mid-folder: close its handle
  await batcher.close()
  if (stopped === undefined) await counting
  if (total !== undefined) summary.found = total // stopped early: still say how many there are
  if (!args.wait) summary.unfinished = summary.submitted + summary.followed

  // --- waiting ----------------------------------------------------------------------------------
  let subscription: Subscription | undefined
  if (subscribing !== undefined) {
    subscription = await subscribing.catch(() => undefined)
    waitStartedMs = now() - startedAt
    const deadline = args.timeoutS > 0 ? now() + args.timeoutS * 1000 : Number.POSITIVE_INFINITY
    if (waiting.size > 0) progress.update(progressState(), true)
    while (stopped === undefined && (waiting.size > 0 || finishing.size > 0)) {
      if (now() >= deadline) { stop(`--timeout ${args.timeoutS} s passed`); break }
      await sleep(100)
      progress.update(progressState())
    }
    await Promise.all([...finishing])
    progress.end(progressState())
    await subscription?.stop()
    // Statuses that came in while stopping may have started more result writes: let them end.
    while (finishing.size > 0) await Promise.all([...finishing])
    summary.unfinished = waiting.size
  } else {
    progress.end(progressState())
  }
  deps.signal?.removeEventListener('abort', onAbort)
  await writer.close()
  if (stopped !== undefined) summary.stopped = stopped
  summary.elapsedMs = now() - startedAt
  return summary
}
