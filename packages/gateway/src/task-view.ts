import { isTerminal, supersedes, TASK_ID_PATTERN, type ModelInfo, type Stage, type TaskKind, type TaskState, type TaskStatusV1 } from '@faceblur/contracts'
import { TaskTable } from './task-table.js'

export type Listener = (status: TaskStatusV1) => void

const STATES: readonly TaskState[] = ['PENDING', 'STARTED', 'SUCCESS', 'FAILURE']
const STAGES: readonly Stage[] = ['gateway', 'detector', 'blurrer', 'video']
const KINDS: readonly TaskKind[] = ['detect', 'blur', 'video']

const SAW_PENDING = 1 << 6
const pack = (s: Pick<TaskStatusV1, 'status' | 'stage' | 'kind'>): number =>
  STATES.indexOf(s.status) | (STAGES.indexOf(s.stage) << 2) | (KINDS.indexOf(s.kind) << 4)
const stateOf = (code: number): TaskState => STATES[code & 3]!
const stageOf = (code: number): Stage => STAGES[(code >> 2) & 3]!
const kindOf = (code: number): TaskKind => KINDS[(code >> 4) & 3]!

/**
 * What an event did: `changed` the task, repeated its `same` state, or was `stale` (an event the
 * status machine ignores that says something else, e.g. a redelivery's STARTED after SUCCESS).
 */
export type Applied = 'changed' | 'same' | 'stale'

export interface Sweep {
  /** Ids of finished tasks past the TTL, now forgotten. */
  forgotten: string[]
  /**
   * Unfinished tasks older than the maximum age, as the `FAILURE` each should end with. The view
   * does not apply them: the caller publishes them, so every gateway (and the topic) agrees.
   */
  overdue: TaskStatusV1[]
}

export interface TaskViewOptions {
  /** How long a finished task stays, like the result it points to. */
  ttlMs: number
  /** How long a task may stay unfinished before it is ended `FB_ERR_EXPIRED`. */
  maxAgeMs: number
  now?: () => number
}

/**
 * Every task's current status, materialised from the status topic. Pure and synchronous: the
 * Kafka feed and the routes are adapters around it. Counts are kept as events arrive, never
 * by scanning.
 */
export class TaskView {
  /**
   * One record per task (see TaskTable): state, stage, kind and whether its PENDING was seen packed
   * into one byte; when its current state was published; while unfinished, when it was first seen;
   * its owner and model as numbers into the lists below; a running video's progress, or a finished
   * task's result (its model left out) or error, as JSON text.
   */
  readonly #tasks = new TaskTable()
  readonly #counts: Record<TaskState, number> = { PENDING: 0, STARTED: 0, SUCCESS: 0, FAILURE: 0 }
  /** Owner hashes and models by number; number 0 is none. */
  readonly #owners = new Interned<string>()
  readonly #models = new Interned<ModelInfo>()
  readonly #onFinish: Array<(status: TaskStatusV1, seconds: number) => void> = []
  readonly #listeners = new Map<string, Set<Listener>>()
  readonly #ttlMs: number
  readonly #maxAgeMs: number
  readonly #now: () => number

  constructor ({ ttlMs, maxAgeMs, now = Date.now }: TaskViewOptions) {
    this.#ttlMs = ttlMs
    this.#maxAgeMs = maxAgeMs
    this.#now = now
  }

  /** Applies one event; listeners hear only real changes. */
  apply (event: TaskStatusV1): Applied {
    const id = event.task_id
    const tasks = this.#tasks
    let task = tasks.find(id)
    const owner = event.owner === undefined ? 0 : this.#owners.number(event.owner, event.owner)
    const at = Date.parse(event.at)
    if (task === -1) {
      task = tasks.insert(id)
      tasks.setCode(task, pack(event) | (event.status === 'PENDING' ? SAW_PENDING : 0))
      tasks.setAt(task, at)
      tasks.setBorn(task, at)
      tasks.setOwner(task, owner)
      this.#counts[event.status]++
    } else {
      const code = tasks.code(task)
      // The owner sticks to the task whatever order its events arrive in.
      if (tasks.owner(task) === 0 && owner !== 0) tasks.setOwner(task, owner)
      if (!supersedes({ status: stateOf(code), stage: stageOf(code), ...this.#progressOf(task) }, event)) return this.#agrees(task, event) ? 'same' : 'stale'
      this.#counts[stateOf(code)]--
      this.#counts[event.status]++
      tasks.setCode(task, pack(event) | (code & SAW_PENDING))
      tasks.setAt(task, at)
    }
    this.#keepDetail(task, event)
    const finished = isTerminal(event.status)
    const seconds = (at - tasks.born(task)) / 1000
    if (finished) tasks.setBorn(task, 0)
    const listeners = this.#listeners.get(id)
    if (listeners === undefined && !(finished && this.#onFinish.length > 0)) return 'changed'
    const now = this.get(id)
    if (now === undefined) return 'changed' // finished longer ago than the TTL (an old event read at catch-up)
    for (const listener of listeners ?? []) listener(now)
    if (finished && (tasks.code(task) & SAW_PENDING) !== 0) for (const f of this.#onFinish) f(now, seconds)
    return 'changed'
  }

  /** The task's current status; undefined for an unknown task or a finished one past the TTL. */
  get (taskId: string): TaskStatusV1 | undefined {
    if (!TASK_ID.test(taskId)) return undefined // not a key the table could hold
    const task = this.#tasks.find(taskId)
    if (task === -1 || this.#forgettable(task, this.#now())) return undefined
    const code = this.#tasks.code(task)
    const owner = this.#owners.value(this.#tasks.owner(task))
    return {
      task_id: taskId,
      kind: kindOf(code),
      status: stateOf(code),
      stage: stageOf(code),
      at: new Date(this.#tasks.at(task)).toISOString(),
      ...this.#detailOf(task),
      ...(owner === undefined ? {} : { owner })
    }
  }

  /** Calls `listener` on every later change of the task; returns the unsubscribe function. */
  watch (taskId: string, listener: Listener): () => void {
    const set = this.#listeners.get(taskId) ?? new Set()
    set.add(listener)
    this.#listeners.set(taskId, set)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.#listeners.delete(taskId)
    }
  }

  /** Calls `f` when a task seen from `PENDING` finishes, with its upload → finish seconds. */
  onFinish (f: (status: TaskStatusV1, seconds: number) => void): void { this.#onFinish.push(f) }

  /** Tasks by status (finished ones past the TTL included until the next sweep). */
  counts (): Record<TaskState, number> { return { ...this.#counts } }

  /** Tasks not finished yet: the pipeline's backlog as this gateway sees it. */
  get unfinished (): number { return this.#counts.PENDING + this.#counts.STARTED }

  /** Forgets finished tasks past the TTL and lists unfinished ones past the maximum age. */
  sweep (): Sweep {
    const now = this.#now()
    const tasks = this.#tasks
    const forgotten: string[] = []
    const overdue: TaskStatusV1[] = []
    for (const task of tasks.records()) {
      const code = tasks.code(task)
      if (this.#forgettable(task, now)) {
        forgotten.push(tasks.idOf(task))
        this.#counts[stateOf(code)]--
        tasks.remove(task)
      } else if (!isTerminal(stateOf(code)) && now - tasks.born(task) > this.#maxAgeMs) {
        const owner = this.#owners.value(tasks.owner(task))
        overdue.push({
          task_id: tasks.idOf(task),
          kind: kindOf(code),
          status: 'FAILURE',
          stage: 'gateway',
          at: new Date(now).toISOString(),
          error: { code: 'FB_ERR_EXPIRED', message: `not finished ${Math.round(this.#maxAgeMs / 60_000)} min after it was submitted` },
          ...(owner === undefined ? {} : { owner })
        })
      }
    }
    return { forgotten, overdue }
  }

  get size (): number { return this.#tasks.size }

  #forgettable (task: number, now: number): boolean {
    return isTerminal(stateOf(this.#tasks.code(task))) && now - this.#tasks.at(task) > this.#ttlMs
  }

  /** Whether `event` states what the task is now: same state, stage and error. */
  #agrees (task: number, event: TaskStatusV1): boolean {
    if (pack(event) !== (this.#tasks.code(task) & ~SAW_PENDING)) return false
    return event.error === undefined || this.#tasks.detail(task) === JSON.stringify({ error: event.error })
  }

  /** A running task's progress, kept while it runs. */
  #progressOf (task: number): Pick<TaskStatusV1, 'progress'> {
    const detail = this.#tasks.detail(task)
    return detail?.startsWith('{"progress"') === true ? JSON.parse(detail) as Pick<TaskStatusV1, 'progress'> : {}
  }

  /** Keeps a running task's progress, or a finished task's result (its model shared) or error, as JSON text. */
  #keepDetail (task: number, event: TaskStatusV1): void {
    if (event.progress !== undefined && event.status === 'STARTED') {
      this.#tasks.setDetail(task, JSON.stringify({ progress: event.progress }))
    } else if (event.error !== undefined) {
      this.#tasks.setDetail(task, JSON.stringify({ error: event.error }))
    } else if (event.result !== undefined) {
      const { model, ...rest } = event.result
      this.#tasks.setModel(task, this.#models.number(`${model.name}\n${model.sha256}\n${model.provider}`, model))
      this.#tasks.setDetail(task, JSON.stringify(rest))
    }
  }

  #detailOf (task: number): Pick<TaskStatusV1, 'result' | 'error'> {
    const detail = this.#tasks.detail(task)
    if (detail === undefined) return {}
    const parsed = JSON.parse(detail) as Record<string, unknown>
    const model = this.#models.value(this.#tasks.model(task))
    return model === undefined ? parsed : { result: { ...parsed, model } as NonNullable<TaskStatusV1['result']> }
  }
}

/** Values shared by many tasks (owner hashes, models), each stored once and named by a number from 1. */
class Interned<T> {
  readonly #numbers = new Map<string, number>()
  readonly #values: T[] = []

  number (key: string, value: T): number {
    let n = this.#numbers.get(key)
    if (n === undefined) {
      n = this.#values.push(value)
      this.#numbers.set(key, n)
    }
    return n
  }

  value (n: number): T | undefined { return n === 0 ? undefined : this.#values[n - 1] }
}

const TASK_ID = new RegExp(TASK_ID_PATTERN)
