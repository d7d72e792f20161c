import { FaceBlurError } from '@faceblur/contracts'

/** Broker answers that mean "this message will never be taken", however often it is sent. */
const REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TOPIC_EXCEPTION', 'TOPIC_AUTHORIZATION_FAILED'])

/**
 * A kafkajs error as a coded FaceBlurError: a refusal of the message itself is final
 * (`FB_ERR_BUS_REFUSED`); anything else (no broker, a leader moving, a timeout, retries
 * exhausted) means the bus is unavailable for now and is retriable (`FB_ERR_BUS_UNAVAILABLE`).
 */
export function translateBusError (err: unknown): FaceBlurError {
  if (err instanceof FaceBlurError) return err
  const types = causes(err).map((e) => (e as { type?: string }).type)
  const refused = types.find((type) => type !== undefined && REFUSALS.has(type))
  if (refused !== undefined) return new FaceBlurError('FB_ERR_BUS_REFUSED', `Kafka refused the message (${refused})`, { cause: err })
  return new FaceBlurError('FB_ERR_BUS_UNAVAILABLE', `Kafka: ${(err as Error).message}`, { cause: err })
}

/** The error and its causes, outermost first (kafkajs wraps the broker's answer in retry errors). */
function causes (err: unknown): unknown[] {
  const chain: unknown[] = []
  for (let e: unknown = err; e !== undefined && e !== null && chain.length < 8; e = (e as { cause?: unknown }).cause) chain.push(e)
  return chain
}
