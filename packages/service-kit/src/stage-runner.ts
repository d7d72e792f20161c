import {
  FaceBlurError, codecs, type EventCodec, type Stage, type TaskKind, type TaskStatusV1, type Topics
} from '@faceblur/contracts'
import type { Logger } from 'pino'
import type { Bus, BusMessage, OutgoingMessage, Subscription } from './bus.js'

export interface StageContext {
  log: Logger
  /** Publishes `STARTED` for this stage. */
  started: () => Promise<void>
}

export interface StageDefinition<T extends { task_id: string, kind: TaskKind }> {
  stage: Stage
  /** Every topic of the deployment (the stage consumes `consumes` of them and publishes to others). */
  topics: Topics
  groupId: string
  consumes: keyof Topics
  codec: EventCodec<T>
  /** Which events this stage acts on; others are committed and skipped. */
  accepts?: (event: T) => boolean
  /** Does the work and returns what to publish (outputs and the final status) for the event. */
  process: (event: T, ctx: StageContext) => Promise<OutgoingMessage[]>
  /**
   * Clean-up that must wait until the task's outputs or its FAILURE are published (e.g. deleting
   * an original), with whether the task failed.
   */
  afterPublish?: (event: T, outcome: { failed: boolean }) => Promise<void>
  partitionsConcurrently?: number
}

export const statusMessage = (topics: Topics, status: TaskStatusV1): OutgoingMessage =>
  ({ topic: topics.status, key: status.task_id, value: codecs.taskStatus.encode(status) })

/**
 * The consume → process → publish → commit loop every stage shares.
 *
 * - An invalid event goes to the DLQ with the reason; if it names a task, that task fails.
 * - A non-retriable error (bad image, missing source, a bug) fails the task with its code.
 * - A retriable error (store or bus unavailable) is thrown back to the bus, which redelivers
 *   the message after a backoff: nothing is committed, so nothing is lost.
 */
export async function runStage<T extends { task_id: string, kind: TaskKind }> (bus: Bus, logger: Logger, def: StageDefinition<T>): Promise<Subscription> {
  const status = (event: { task_id: string, kind: TaskKind }, rest: Pick<TaskStatusV1, 'status'> & Partial<TaskStatusV1>): TaskStatusV1 =>
    ({ task_id: event.task_id, kind: event.kind, stage: def.stage, at: new Date().toISOString(), ...rest })

  async function deadLetter (message: BusMessage, reason: string, taskId: string | undefined): Promise<void> {
    const raw = message.value ?? Buffer.alloc(0)
    const utf8 = raw.toString('utf8')
    const isText = Buffer.from(utf8, 'utf8').equals(raw)
    const letter = codecs.deadLetter.encode({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      value: isText ? utf8 : raw.toString('base64'),
      value_encoding: isText ? 'utf8' : 'base64',
      ...(taskId === undefined ? {} : { task_id: taskId }),
      code: 'FB_ERR_EVENT_INVALID',
      reason,
      stage: def.stage,
      at: new Date().toISOString()
    })
    const out: OutgoingMessage[] = [{ topic: def.topics.deadLetter, key: message.key ?? taskId ?? 'unknown', value: letter }]
    if (taskId !== undefined) {
      // An invalid event's kind is untrusted; it only labels the FAILURE in the task view.
      const kind = guessKind(raw)
      out.push(statusMessage(def.topics, status({ task_id: taskId, kind }, {
        status: 'FAILURE', error: { code: 'FB_ERR_EVENT_INVALID', message: `invalid ${message.topic} event: ${reason}` }
      })))
    }
    await bus.publish(out)
    logger.warn({ topic: message.topic, offset: message.offset, task_id: taskId, reason }, 'invalid event sent to the dead-letter topic')
  }

  return await bus.consume({
    groupId: def.groupId,
    topics: [def.topics[def.consumes]],
    // A stage's group must never skip work produced before it first joined.
    fromBeginning: true,
    partitionsConcurrently: def.partitionsConcurrently ?? 1,
    handle: async (message) => {
      const parsed = def.codec.parse(message.value)
      if (!parsed.ok) return await deadLetter(message, parsed.reason, parsed.taskId)
      const event = parsed.value
      if (def.accepts !== undefined && !def.accepts(event)) return
      const log = logger.child({ task_id: event.task_id, kind: event.kind })
      const started = Date.now()
      try {
        const ctx: StageContext = {
          log,
          started: async () => { await bus.publish([statusMessage(def.topics, status(event, { status: 'STARTED' }))]) }
        }
        await bus.publish(await def.process(event, ctx))
        await def.afterPublish?.(event, { failed: false })
        log.info({ ms: Date.now() - started }, `${def.stage} done`)
      } catch (err) {
        const coded = err instanceof FaceBlurError ? err : new FaceBlurError('FB_ERR_INTERNAL', (err as Error).message, { cause: err })
        if (coded.retriable) {
          log.warn({ err: coded, code: coded.code }, 'retriable failure; the event will be redelivered')
          throw coded
        }
        log.info({ code: coded.code, reason: coded.message }, 'task failed')
        await bus.publish([statusMessage(def.topics, status(event, { status: 'FAILURE', error: { code: coded.code, message: coded.message } }))])
        await def.afterPublish?.(event, { failed: true })
      }
    }
  })
}

function guessKind (raw: Buffer): TaskKind {
  try {
    return (JSON.parse(raw.toString()) as { kind?: unknown }).kind === 'blur' ? 'blur' : 'detect'
  } catch { return 'detect' }
}
