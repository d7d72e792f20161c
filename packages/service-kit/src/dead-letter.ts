import { createHash } from 'node:crypto'
import { codecs, type DeadLetterV1 } from '@faceblur/contracts'

/** How much of a refused event a dead letter keeps: enough to read, never enough to be refused. */
export const DEAD_LETTER_PREVIEW_BYTES = 4096
const MAX_KEY = 256
const MAX_REASON = 2048

export interface RefusedMessage { topic: string, partition: number, offset: string, key: string | null, value: Buffer | null }

/**
 * The dead letter for a message a stage cannot process. Pure, and bounded: a preview of the value
 * (UTF-8 when it is text, else base64), its size and sha256, so a letter stays a few KiB whatever
 * arrived and the broker cannot refuse it.
 */
export function deadLetterFor (message: RefusedMessage, refusal: { code: string, reason: string, stage: string, taskId?: string, at?: Date }): Buffer {
  const raw = message.value ?? Buffer.alloc(0)
  const head = raw.subarray(0, DEAD_LETTER_PREVIEW_BYTES)
  const truncated = head.length < raw.length
  const text = asText(head, truncated)
  const letter: DeadLetterV1 = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.slice(0, MAX_KEY),
    value: text ?? head.toString('base64'),
    value_encoding: text === undefined ? 'base64' : 'utf8',
    value_truncated: truncated,
    value_bytes: raw.length,
    value_sha256: createHash('sha256').update(raw).digest('hex'),
    ...(refusal.taskId === undefined ? {} : { task_id: refusal.taskId }),
    code: refusal.code,
    reason: refusal.reason.slice(0, MAX_REASON),
    stage: refusal.stage,
    at: (refusal.at ?? new Date()).toISOString()
  }
  return codecs.deadLetter.encode(letter)
}

/**
 * The bytes as text when they are valid UTF-8 without control characters (a cut at the preview's
 * end inside a character is allowed), else undefined.
 */
function asText (bytes: Buffer, truncated: boolean): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: truncated })
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text) ? undefined : text
  } catch {
    return undefined
  }
}
