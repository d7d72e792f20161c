// The stage kernel: every stage's consume → validate → trust → process → publish → commit, in one place.
import { FaceBlurError, type TaskKind, type TaskStatusV1 } from '@faceblur/contracts'
import type { Logger } from 'pino'
import type { BusMessage, OutgoingMessage, Subscription } from './bus.js'
import { deadLetterFor } from './dead-letter.js'
import { withDeadline, withRetries } from './retry.js'
import { checkSource } from './source-trust.js'
import type { KernelSettings, StageDefinition, StageEvent } from './stage-definition.js'
import { ANNOUNCED_HEADER, statusMessage } from './status-writer.js'
import { openTask } from './task-opening.js'

export type { KernelSettings, StageDefinition, StageEvent, StageOutput, TaskContext } from './stage-definition.js'

/**
 * The stage kernel: consume → validate → trust → process → publish outputs and status → commit,
 * for every stage. The stage's `process` only does the work; the kernel
 * - publishes every `PENDING` (when unannounced), `STARTED` (see task-opening.ts), `SUCCESS` and `FAILURE`;
 * - heartbeats while a task runs and fails a task that passes its deadline (`FB_ERR_TASK_TIMEOUT`);
 * - retries retriable errors with backoff up to `retry.maxMs`, then fails the task with the cause;
 * - dead-letters (bounded) and fails whatever it cannot take: bytes that are no event, an invalid
 *   event, a source outside `uploads/{task_id}` of the bucket or over the upload limit.
 * It throws (so the consumer restarts and the message is redelivered) only when the task's final
 * messages cannot be published within the retry bound (the bus is down, nothing is committed), or
 * when a message is held past `heldLimitMs`.
 */
export async function runStage<T extends StageEvent> (settings: KernelSettings, def: StageDefinition<T>): Promise<Subscription> {
  const run = stageRun(settings, def)
  const heldLimit = heldLimitMs(settings)
  return await settings.bus.consume({
    groupId: settings.groups[def.group],
    topics: [settings.topics[def.consumes]],
    // A stage's group must never skip work produced before it first joined.
    fromBeginning: true,
    partitionsConcurrently: def.partitionsConcurrently ?? 1,
    sessionTimeoutMs: settings.sessionTimeoutMs,
    rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    handle: async (message, { heartbeat }) => {
      // Membership is kept however long the task runs; a failed beat (a rebalance under way) is
      // only logged: the commit after the task tells whether the partition is still ours.
      const beat = setInterval(() => { heartbeat().catch((err: Error) => { settings.logger.debug({ err: err.message }, 'heartbeat failed') }) }, settings.heartbeatIntervalMs)
      try {
        await withDeadline(heldLimit, async () => { await handle(run, message) })
      } catch (err) {
        if ((err as FaceBlurError).code === 'FB_ERR_TASK_TIMEOUT') {
          settings.logger.error({ topic: message.topic, partition: message.partition, offset: message.offset, limitS: heldLimit / 1000 }, 'message held past every bound of its task; the consumer restarts and it is redelivered')
        }
        throw err
      } finally {
        clearInterval(beat)
      }
    }
  })
}

/**
 * The longest a message may be in hand: its work's attempts, the publishing of its outcome (and of a
 * FAILURE after that), the clean-up, with a minute to spare. Each of those is bounded on its own; this
 * closes the calls that are not (a client with no timeout of its own), so no message can hold its
 * partition, and the handler's heartbeats, for ever.
 */
export const heldLimitMs = ({ taskTimeoutMs, retry }: Pick<KernelSettings, 'taskTimeoutMs' | 'retry'>): number =>
  taskTimeoutMs + 3 * retry.maxMs + 60_000

type Task = Pick<StageEvent, 'task_id' | 'kind' | 'owner'>

/** One stage's settings with the few helpers every message uses. */
interface StageRun<T extends StageEvent> {
  settings: KernelSettings
  def: StageDefinition<T>
  maxSourceBytes: number
  statusOf: (task: Task, rest: Pick<TaskStatusV1, 'status'> & Partial<TaskStatusV1>) => OutgoingMessage
  failure: (task: Task, err: FaceBlurError) => OutgoingMessage
  /** Publishes, retrying while Kafka is unavailable; past the bound it throws and the message is redelivered. */
  publish: (messages: OutgoingMessage[], log: Logger) => Promise<void>
}

function stageRun<T extends StageEvent> (settings: KernelSettings, def: StageDefinition<T>): StageRun<T> {
  const statusOf: StageRun<T>['statusOf'] = (task, rest) => statusMessage(settings.topics, {
    task_id: task.task_id, kind: task.kind, stage: def.stage, at: new Date().toISOString(), ...(task.owner === undefined ? {} : { owner: task.owner }), ...rest
  })
  return {
    settings,
    def,
    maxSourceBytes: def.maxSourceBytes ?? settings.maxSourceBytes,
    statusOf,
    failure: (task, err) => statusOf(task, { status: 'FAILURE', error: { code: err.code, message: err.message } }),
    publish: async (messages, log) => {
      await withRetries(async () => { await settings.bus.publish(messages) }, settings.retry, {
        onRetry: (err, attempt, delayMs) => { log.warn({ code: (err as FaceBlurError).code, attempt, delayMs }, 'publish failed; retrying') }
      })
    }
  }
}

/** Dead-letters a message and fails the task it names, if any. */
async function refuse<T extends StageEvent> (run: StageRun<T>, message: BusMessage, err: FaceBlurError, task: Task | undefined): Promise<void> {
  const { settings: { topics, logger, metrics }, def } = run
  const letter = deadLetterFor(message, { code: err.code, reason: err.message, stage: def.stage, ...(task === undefined ? {} : { taskId: task.task_id }) })
  const out: OutgoingMessage[] = [{ topic: topics.deadLetter, key: task?.task_id ?? message.key?.slice(0, 256) ?? 'unknown', value: letter }]
  if (task !== undefined) out.push(run.failure(task, err))
  await run.publish(out, logger)
  metrics?.deadLetters.inc({ consumes: def.consumes, code: err.code })
  if (task !== undefined) metrics?.tasks.inc({ consumes: def.consumes, outcome: 'FAILURE', code: err.code })
  logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, task_id: task?.task_id, code: err.code, reason: err.message }, 'event refused: sent to the dead-letter topic')
}

/** Admission: an event it can parse, that this stage takes, whose source it may read; else refused. */
async function handle<T extends StageEvent> (run: StageRun<T>, message: BusMessage): Promise<void> {
  const { def } = run
  const parsed = def.codec.parse(message.value)
  if (!parsed.ok) {
    const task = parsed.taskId === undefined ? undefined : { task_id: parsed.taskId, kind: guessKind(message.value) }
    return await refuse(run, message, new FaceBlurError('FB_ERR_EVENT_INVALID', `invalid ${message.topic} event: ${parsed.reason}`), task)
  }
  const event = parsed.value
  if (def.accepts !== undefined && !def.accepts(event)) return
  try {
    checkSource(event.task_id, event.source, { bucket: run.settings.store.bucket, maxBytes: run.maxSourceBytes, place: def.sourcePlace ?? 'upload' })
  } catch (err) {
    return await refuse(run, message, coded(err), event)
  }
  await runTask(run, message, event)
}

/** The task: its opening statuses, the work, its outcome published, the clean-up after. */
async function runTask<T extends StageEvent> (run: StageRun<T>, message: BusMessage, event: T): Promise<void> {
  const { def, statusOf } = run
  const log = run.settings.logger.child({ task_id: event.task_id, kind: event.kind })
  const t0 = performance.now()
  const announce = def.announces === true && message.headers[ANNOUNCED_HEADER] === undefined
  const opening = openTask(async (messages) => { await run.publish(messages, log) },
    announce ? statusOf(event, { status: 'PENDING' }) : undefined,
    (def.startsTask ?? true) ? () => statusOf(event, { status: 'STARTED' }) : undefined)

  const worked = await work(run, event, log)
  let failed = worked.failed
  const owed = await opening.close(worked.ends)
  // The object was larger than its event said: that event is refused.
  if (failed?.code === 'FB_ERR_SOURCE_REFUSED') return await refuse(run, message, failed, event)
  try {
    await run.publish([...owed, ...worked.outcome], log)
  } catch (err) {
    const refused = coded(err)
    if (refused.retriable) throw refused // Kafka down past the bound: redelivered once it is back
    // The broker will never take these outputs (e.g. too large): the task fails with the cause.
    failed = refused
    await run.publish([run.failure(event, refused)], log)
  }
  if (def.afterPublish !== undefined) {
    // Best effort: a leftover original is expired by the bucket's lifecycle rule.
    await def.afterPublish(event, { failed: failed !== undefined }).catch((err: unknown) => { log.warn({ err }, 'clean-up after the task failed') })
  }
  recordOutcome(run, log, failed, Math.round(performance.now() - t0))
}

/** The stage's work under the deadline, retried while retriable: the messages to publish, or the failure. */
async function work<T extends StageEvent> (run: StageRun<T>, event: T, log: Logger): Promise<{ outcome: OutgoingMessage[], ends: boolean, failed?: FaceBlurError }> {
  const { settings, def, statusOf } = run
  try {
    const done = await withRetries(async () => await withDeadline(settings.taskTimeoutMs, async (signal) => {
      const source = def.readsSource === false ? Buffer.alloc(0) : await settings.store.get(event.source.key, { maxBytes: run.maxSourceBytes })
      return await def.process(event, { log, source, signal })
    }), settings.retry, {
      onRetry: (err, attempt, delayMs) => {
        settings.metrics?.retries.inc({ consumes: def.consumes, code: (err as FaceBlurError).code })
        log.warn({ code: (err as FaceBlurError).code, reason: (err as Error).message, attempt, delayMs }, 'retriable failure; retrying')
      }
    })
    return {
      outcome: [
        ...done.outputs ?? [],
        ...(done.progress === undefined ? [] : [statusOf(event, { status: 'STARTED', progress: done.progress })]),
        ...(done.result === undefined ? [] : [statusOf(event, { status: 'SUCCESS', result: done.result })])
      ],
      ends: done.result !== undefined
    }
  } catch (err) {
    const failed = coded(err)
    return { outcome: [run.failure(event, failed)], ends: true, failed }
  }
}

function recordOutcome<T extends StageEvent> (run: StageRun<T>, log: Logger, failed: FaceBlurError | undefined, ms: number): void {
  const { def: { stage, consumes }, settings: { metrics } } = run
  metrics?.tasks.inc({ consumes, outcome: failed === undefined ? 'SUCCESS' : 'FAILURE', code: failed?.code ?? '' })
  metrics?.seconds.observe({ consumes }, ms / 1000)
  if (failed === undefined) log.info({ ms }, `${stage} done${consumes === 'submitted' || consumes === 'facesDetected' ? '' : ` (${consumes})`}`)
  else log.info({ ms, code: failed.code, reason: failed.message }, 'task failed')
}

const coded = (err: unknown): FaceBlurError =>
  err instanceof FaceBlurError ? err : new FaceBlurError('FB_ERR_INTERNAL', (err as Error).message, { cause: err })

/** An invalid event's kind is untrusted; it only labels the FAILURE in the task view. */
function guessKind (raw: Buffer | null): TaskKind {
  try {
    const kind = (JSON.parse(raw?.toString() ?? '') as { kind?: unknown }).kind
    return kind === 'blur' || kind === 'video' ? kind : 'detect'
  } catch { return 'detect' }
}
