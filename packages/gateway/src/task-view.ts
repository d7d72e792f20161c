import { isTerminal, supersedes, TASK_ID_PATTERN, type ModelInfo, type Stage, type TaskKind, type TaskState, type TaskStatusV1 } from '@faceblur/contracts'

export type Listener = (status: TaskStatusV1) => void

const STATES: readonly TaskState[] = ['PENDING', 'STARTED', 'SUCCESS', 'FAILURE']
const STAGES: readonly Stage[] = ['gateway', 'detector', 'blurrer']
const KINDS: readonly TaskKind[] = ['detect', 'blur']

/**
 * One task, kept small: a million of these must fit in a gateway (see `pnpm bench:view`). State,
 * stage, kind and whether its PENDING was seen are packed into one small integer; the owner hash
 * and the model are shared between tasks; a finished task's result or error is kept as JSON text
 * (parsed again when asked for) and forgets when it was born. Times count from the view's epoch, so
 * they stay small integers V8 stores inline; the map's keys are the ids' 16 bytes, not 36 characters.
 */
class Entry {
  constructor (
    public code: number,
    /** When the current state was published (ms after the view's epoch: a small integer). */
    public at: number,
    /** While unfinished: when the task was first seen (same clock), its PENDING or its first event. */
    public born: number,
    public owner: string | undefined,
    public detail: string | undefined,
    public model: ModelInfo | undefined
  ) {}
}

const SAW_PENDING = 1 << 5
const pack = (s: Pick<TaskStatusV1, 'status' | 'stage' | 'kind'>): number =>
  STATES.indexOf(s.status) | (STAGES.indexOf(s.stage) << 2) | (KINDS.indexOf(s.kind) << 4)
const stateOf = (code: number): TaskState => STATES[code & 3]!
const stageOf = (code: number): Stage => STAGES[(code >> 2) & 3]!
const kindOf = (code: number): TaskKind => KINDS[(code >> 4) & 1]!

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
  /** By `keyOf(task_id)`. */
  readonly #tasks = new Map<string, Entry>()
  readonly #counts: Record<TaskState, number> = { PENDING: 0, STARTED: 0, SUCCESS: 0, FAILURE: 0 }
  readonly #owners = new Map<string, string>()
  readonly #models = new Map<string, ModelInfo>()
  readonly #onFinish: Array<(status: TaskStatusV1, seconds: number) => void> = []
  readonly #listeners = new Map<string, Set<Listener>>()
  readonly #ttlMs: number
  readonly #maxAgeMs: number
  readonly #now: () => number
  readonly #epoch: number

  constructor ({ ttlMs, maxAgeMs, now = Date.now }: TaskViewOptions) {
    this.#ttlMs = ttlMs
    this.#maxAgeMs = maxAgeMs
    this.#now = now
    this.#epoch = now()
  }

  /** Applies one event; listeners hear only real changes. */
  apply (event: TaskStatusV1): Applied {
    const id = event.task_id
    const key = keyOf(id)
    let stored = this.#tasks.get(key)
    const owner = event.owner === undefined ? undefined : this.#intern(event.owner)
    const at = Date.parse(event.at) - this.#epoch
    if (stored === undefined) {
      stored = new Entry(pack(event) | (event.status === 'PENDING' ? SAW_PENDING : 0), at, at, owner, undefined, undefined)
      this.#tasks.set(key, stored)
      this.#counts[event.status]++
    } else {
      // The owner sticks to the task whatever order its events arrive in.
      if (stored.owner === undefined && owner !== undefined) stored.owner = owner
      if (!supersedes({ status: stateOf(stored.code), stage: stageOf(stored.code) }, event)) return this.#agrees(stored, event) ? 'same' : 'stale'
      this.#counts[stateOf(stored.code)]--
      this.#counts[event.status]++
      stored.code = pack(event) | (stored.code & SAW_PENDING)
      stored.at = at
    }
    this.#keepDetail(stored, event)
    const finished = isTerminal(event.status)
    const seconds = (at - stored.born) / 1000
    if (finished) stored.born = 0
    const listeners = this.#listeners.get(id)
    if (listeners === undefined && !(finished && this.#onFinish.length > 0)) return 'changed'
    const now = this.get(id)
    if (now === undefined) return 'changed' // finished longer ago than the TTL (an old event read at catch-up)
    for (const listener of listeners ?? []) listener(now)
    if (finished && (stored.code & SAW_PENDING) !== 0) for (const f of this.#onFinish) f(now, seconds)
    return 'changed'
  }

  /** The task's current status; undefined for an unknown task or a finished one past the TTL. */
  get (taskId: string): TaskStatusV1 | undefined {
    if (!TASK_ID.test(taskId)) return undefined // its 16-byte key would be meaningless
    const entry = this.#tasks.get(keyOf(taskId))
    if (entry === undefined || this.#forgettable(entry, this.#now() - this.#epoch)) return undefined
    return {
      task_id: taskId,
      kind: kindOf(entry.code),
      status: stateOf(entry.code),
      stage: stageOf(entry.code),
      at: new Date(this.#epoch + entry.at).toISOString(),
      ...this.#detailOf(entry),
      ...(entry.owner === undefined ? {} : { owner: entry.owner })
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
    const now = this.#now() - this.#epoch
    const forgotten: string[] = []
    const overdue: TaskStatusV1[] = []
    for (const [key, entry] of this.#tasks) {
      if (this.#forgettable(entry, now)) {
        this.#tasks.delete(key)
        this.#counts[stateOf(entry.code)]--
        forgotten.push(idOf(key))
      } else if (!isTerminal(stateOf(entry.code)) && now - entry.born > this.#maxAgeMs) {
        overdue.push({
          task_id: idOf(key),
          kind: kindOf(entry.code),
          status: 'FAILURE',
          stage: 'gateway',
          at: new Date(this.#epoch + now).toISOString(),
          error: { code: 'FB_ERR_EXPIRED', message: `not finished ${Math.round(this.#maxAgeMs / 60_000)} min after it was submitted` },
          ...(entry.owner === undefined ? {} : { owner: entry.owner })
        })
      }
    }
    return { forgotten, overdue }
  }

  get size (): number { return this.#tasks.size }

  #forgettable (entry: Entry, now: number): boolean {
    return isTerminal(stateOf(entry.code)) && now - entry.at > this.#ttlMs
  }

  /** Whether `event` states what the task is now: same state, stage and error. */
  #agrees (entry: Entry, event: TaskStatusV1): boolean {
    if (pack(event) !== (entry.code & ~SAW_PENDING)) return false
    return event.error === undefined || entry.detail === JSON.stringify({ error: event.error })
  }

  #intern (owner: string): string {
    const known = this.#owners.get(owner)
    if (known !== undefined) return known
    this.#owners.set(owner, owner)
    return owner
  }

  /** Keeps a finished task's result (its model shared) or error as JSON text. */
  #keepDetail (entry: Entry, event: TaskStatusV1): void {
    if (event.error !== undefined) {
      entry.detail = JSON.stringify({ error: event.error })
    } else if (event.result !== undefined) {
      const { model, ...rest } = event.result
      const key = `${model.name}\n${model.sha256}\n${model.provider}`
      entry.model = this.#models.get(key) ?? this.#models.set(key, model).get(key)
      entry.detail = JSON.stringify(rest)
    }
  }

  #detailOf (entry: Entry): Pick<TaskStatusV1, 'result' | 'error'> {
    if (entry.detail === undefined) return {}
    const parsed = JSON.parse(entry.detail) as Record<string, unknown>
    return entry.model === undefined ? parsed : { result: { ...parsed, model: entry.model } as NonNullable<TaskStatusV1['result']> }
  }
}

const TASK_ID = new RegExp(TASK_ID_PATTERN)
/** A task id (a lowercase UUID, as its schema requires) as 16 bytes, and back. */
const keyOf = (taskId: string): string => Buffer.from(taskId.replaceAll('-', ''), 'hex').toString('latin1')
function idOf (key: string): string {
  const hex = Buffer.from(key, 'latin1').toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
