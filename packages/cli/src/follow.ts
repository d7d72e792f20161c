// Following the status topic (--wait): a consumer group of the run's own reads every status from
// the start; a followed task whose status is terminal is finished (results.ts), and once every
// file is handled the run waits for the rest, until --timeout passes or it stops.
import { setTimeout as sleep } from 'node:timers/promises'
import { advance, codecs, isTerminal, type TaskStatusV1 } from '@faceblur/contracts'
import type { Bus, ObjectStore, Subscription } from '@faceblur/service-kit'
import pLimit, { type LimitFunction } from 'p-limit'
import type { Progress } from './progress.js'
import { finishTask } from './results.js'
import { messageOf, progressOf, type Run, type Tracked } from './run.js'
import type { State } from './state-file.js'

export interface FollowDeps {
  bus: Pick<Bus, 'consume'>
  store: Pick<ObjectStore, 'get'>
  /** The status topic, and a consumer group new to it. */
  topic: string
  groupId: string
}

export interface Follower {
  /** Follows a task to its end; registered before its `submitted` is produced. */
  follow: (taskId: string, t: Tracked) => void
  /** Gives up a task whose `submitted` was never produced. */
  unfollow: (taskId: string) => void
  /** Once every file is handled: waits for the followed tasks, then stops the subscription. */
  waitForAll: (progress: Progress) => Promise<void>
}

/** The follower's state. */
interface Tasks {
  /** The latest status of each task this run may care about; null: none seen yet. */
  known: Map<string, TaskStatusV1 | null>
  /** Followed and not finished. */
  waiting: Map<string, Tracked>
  /** Finishing (writing results), at most `max(2, concurrency)` at once. */
  finishing: Set<Promise<void>>
  limitFinish: LimitFunction
}

export function startFollowing (run: Run, state: State, deps: FollowDeps): Follower {
  // Statuses are kept only for tasks this run may care about: the ones the state file says are
  // still in the pipeline, and the ones submitted now (registered before they are produced).
  const tasks: Tasks = { known: new Map(), waiting: new Map(), finishing: new Set(), limitFinish: pLimit(Math.max(2, run.args.concurrency)) }
  for (const e of state.entries.values()) if (e.kind === run.args.kind && e.status === 'SUBMITTED') tasks.known.set(e.task_id, null)
  const subscribing = deps.bus.consume({
    groupId: deps.groupId,
    topics: [deps.topic],
    fromBeginning: true,
    commit: 'never', // a group of its own every run: its position is never read again
    partitionsConcurrently: 8,
    handle: async (m) => {
      const parsed = codecs.taskStatus.parse(m.value)
      if (!parsed.ok || !tasks.known.has(parsed.value.task_id)) return
      const id = parsed.value.task_id
      tasks.known.set(id, advance(tasks.known.get(id) ?? undefined, parsed.value))
      maybeFinish(run, deps.store, tasks, id)
    }
  })
  subscribing.catch((err: unknown) => run.stop(`cannot follow ${deps.topic}: ${messageOf(err)}`))
  return {
    follow (taskId, t) {
      if (!tasks.known.has(taskId)) tasks.known.set(taskId, null)
      tasks.waiting.set(taskId, t)
      run.following.total++
      maybeFinish(run, deps.store, tasks, taskId)
    },
    unfollow (taskId) {
      tasks.waiting.delete(taskId)
      run.following.total--
    },
    waitForAll: async (progress) => { await waitForAll(run, tasks, subscribing, progress) }
  }
}

/** Finishes a followed task once its status is terminal (it may come before or after `follow`). */
function maybeFinish (run: Run, store: FollowDeps['store'], tasks: Tasks, taskId: string): void {
  const status = tasks.known.get(taskId)
  const t = tasks.waiting.get(taskId)
  if (status == null || t === undefined || !isTerminal(status.status)) return
  tasks.waiting.delete(taskId)
  tasks.known.delete(taskId) // final: later copies of its statuses change nothing
  const job = tasks.limitFinish(async () => { await finishTask(run, store, taskId, t, status) })
    .catch((err: unknown) => run.stop(`cannot record a finished task: ${messageOf(err)}`))
  tasks.finishing.add(job)
  void job.finally(() => tasks.finishing.delete(job))
}

async function waitForAll (run: Run, tasks: Tasks, subscribing: Promise<Subscription>, progress: Progress): Promise<void> {
  const subscription = await subscribing.catch(() => undefined)
  run.waitStartedMs = run.now() - run.startedAt
  const deadline = run.args.timeoutS > 0 ? run.now() + run.args.timeoutS * 1000 : Number.POSITIVE_INFINITY
  if (tasks.waiting.size > 0) progress.update(progressOf(run), true)
  while (run.stopped === undefined && (tasks.waiting.size > 0 || tasks.finishing.size > 0)) {
    if (run.now() >= deadline) { run.stop(`--timeout ${run.args.timeoutS} s passed`); break }
    await sleep(100)
    progress.update(progressOf(run))
  }
  await Promise.all([...tasks.finishing])
  progress.end(progressOf(run))
  await subscription?.stop()
  // Statuses that came in while stopping may have started more result writes: let them end.
  while (tasks.finishing.size > 0) await Promise.all([...tasks.finishing])
  run.summary.unfinished = tasks.waiting.size
}
