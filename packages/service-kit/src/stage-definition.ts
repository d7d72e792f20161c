// What a stage is to the kernel: its events, its work, its outputs, and the kernel's settings.
import type {
  BlurResult, ConsumerGroups, DetectResult, EventCodec, ObjectRef, Progress, Stage, TaskKind, Topics, VideoResult
} from '@faceblur/contracts'
import type { Logger } from 'pino'
import type { Bus, OutgoingMessage } from './bus.js'
import type { ObjectStore } from './object-store.js'
import type { RetryPolicy } from './retry.js'
import type { SourcePlace } from './source-trust.js'
import type { StageMetrics } from './stage-metrics.js'

/** Events a stage consumes: each names its task, the object it works on, and maybe its owner. */
export interface StageEvent { task_id: string, kind: TaskKind, source: ObjectRef, owner?: string }

/** What one task's work produced. */
export interface StageOutput {
  /** Events for the next stage (e.g. `faces.detected`). */
  outputs?: OutgoingMessage[]
  /** The task's result: the kernel publishes `SUCCESS` with it. Without one, a later stage ends the task. */
  result?: DetectResult | BlurResult | VideoResult
  /** How far a long task has got: the kernel publishes a `STARTED` with it. */
  progress?: Progress
}

export interface TaskContext {
  log: Logger
  /** The task's source, read by the kernel after the trust checks (empty when the stage reads it itself). */
  source: Buffer
  /** Aborted at the task's deadline: long work checks it between steps. */
  signal: AbortSignal
}

export interface StageDefinition<T extends StageEvent> {
  stage: Stage
  consumes: keyof Topics
  /** The consumer group: the processes running this definition share the work. */
  group: keyof ConsumerGroups
  codec: EventCodec<T>
  /** Which events this stage acts on; others are committed and skipped. */
  accepts?: (event: T) => boolean
  /** The entry stage announces (`PENDING`) tasks whose producer did not (bulk producers write `submitted` only). */
  announces?: boolean
  /** Whether an event starts its task (`STARTED`); false where an earlier stage started it (a blur's faces, a video's segments). Default true. */
  startsTask?: boolean
  /** Whether the kernel reads the source into `ctx.source`; false for media a stage streams from the store itself. Default true. */
  readsSource?: boolean
  /** Where the source may be (see `checkSource`). Default `upload`. */
  sourcePlace?: SourcePlace
  /** Largest source this stage takes; default the kernel's `maxSourceBytes`. */
  maxSourceBytes?: number
  /** One task's work, from its event and source bytes to its outputs or result. Throws coded errors. */
  process: (event: T, ctx: TaskContext) => Promise<StageOutput>
  /** Clean-up once the task's outputs or its FAILURE are published (e.g. deleting an original). */
  afterPublish?: (event: T, outcome: { failed: boolean }) => Promise<void>
  partitionsConcurrently?: number
}

export interface KernelSettings {
  bus: Bus
  store: ObjectStore
  logger: Logger
  metrics?: StageMetrics
  topics: Topics
  groups: ConsumerGroups
  /** Largest source a task may name (the upload limit). */
  maxSourceBytes: number
  taskTimeoutMs: number
  retry: RetryPolicy
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  heartbeatIntervalMs: number
}
