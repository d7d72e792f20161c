import { advance, isTerminal, type TaskStatusV1 } from '@faceblur/contracts'

export type Listener = (status: TaskStatusV1) => void

/**
 * Every task's current status, materialised from the status topic. Pure and synchronous: the
 * Kafka feed and the routes are adapters around it. Finished tasks are forgotten `ttlMs` after
 * they finished, like the results they point to.
 */
export class TaskView {
  readonly #tasks = new Map<string, TaskStatusV1>()
  /** When each task was first seen PENDING, for its end-to-end duration. */
  readonly #submittedAt = new Map<string, number>()
  readonly #onFinish: Array<(status: TaskStatusV1, seconds: number) => void> = []
  readonly #listeners = new Map<string, Set<Listener>>()
  readonly #ttlMs: number
  readonly #now: () => number

  constructor (ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs
    this.#now = now
  }

  /** Applies one event; listeners hear only real changes. Returns the task's state after it. */
  apply (event: TaskStatusV1): TaskStatusV1 {
    const current = this.#tasks.get(event.task_id)
    const next = advance(current, event)
    if (event.status === 'PENDING' && !this.#submittedAt.has(event.task_id)) this.#submittedAt.set(event.task_id, Date.parse(event.at))
    if (next !== current) {
      this.#tasks.set(event.task_id, next)
      for (const listener of this.#listeners.get(event.task_id) ?? []) listener(next)
      const submitted = this.#submittedAt.get(event.task_id)
      if (isTerminal(next.status) && (current === undefined || !isTerminal(current.status))) {
        this.#submittedAt.delete(event.task_id)
        if (submitted !== undefined) for (const f of this.#onFinish) f(next, (Date.parse(next.at) - submitted) / 1000)
      }
    }
    return next
  }

  get (taskId: string): TaskStatusV1 | undefined {
    const status = this.#tasks.get(taskId)
    if (status !== undefined && this.#expired(status)) {
      this.#tasks.delete(taskId)
      return undefined
    }
    return status
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

  /** Tasks by status (expired ones included until the next sweep). */
  counts (): Record<TaskStatusV1['status'], number> {
    const counts = { PENDING: 0, STARTED: 0, SUCCESS: 0, FAILURE: 0 }
    for (const s of this.#tasks.values()) counts[s.status]++
    return counts
  }

  /** Tasks not finished yet: the pipeline's backlog as this gateway sees it. */
  get unfinished (): number {
    let n = 0
    for (const s of this.#tasks.values()) if (!isTerminal(s.status)) n++
    return n
  }

  /** Drops expired tasks; returns how many. */
  sweep (): number {
    let dropped = 0
    for (const [id, status] of this.#tasks) {
      if (this.#expired(status)) { this.#tasks.delete(id); dropped++ }
    }
    return dropped
  }

  get size (): number { return this.#tasks.size }

  #expired (status: TaskStatusV1): boolean {
    return isTerminal(status.status) && this.#now() - Date.parse(status.at) > this.#ttlMs
  }
}
