import { FormatRegistry, type TSchema, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { DeadLetterV1 } from './events/dead-letter.v1.js'
import { FacesDetectedV1 } from './events/faces-detected.v1.js'
import { TaskStatusV1 } from './events/task-status.v1.js'
import { TaskSubmittedV1 } from './events/task-submitted.v1.js'
import { VideoEncodedV1, VideoFacesV1, VideoSegmentV1 } from './events/video.v1.js'
import { WsSubscribe } from './http.js'
import { isTaskId } from './object-keys.js'

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT/.test(value))
}

export type Parsed<T> = { ok: true, value: T } | { ok: false, reason: string, taskId?: string }

/** A compiled schema that parses raw bytes or values into a typed event or a reason. */
export interface EventCodec<T> {
  check (value: unknown): value is T
  parse (raw: Buffer | string | null): Parsed<T>
  encode (value: T): Buffer
}

function codec<S extends TSchema> (schema: S): EventCodec<Static<S>> {
  const compiled = TypeCompiler.Compile(schema)
  return {
    check: (value): value is Static<S> => compiled.Check(value),
    parse (raw) {
      if (raw === null || raw.length === 0) return { ok: false, reason: 'empty message' }
      let value: unknown
      try {
        value = JSON.parse(raw.toString())
      } catch (err) {
        return { ok: false, reason: `not JSON: ${(err as Error).message}` }
      }
      // Keep the task id when there is one, so its task can be failed instead of left pending.
      const candidate = (value as { task_id?: unknown } | null)?.task_id
      const taskId = isTaskId(candidate) ? candidate : undefined
      const first = compiled.Errors(value).First()
      if (first !== undefined) {
        const reason = `${first.path || '/'}: ${first.message}`
        return taskId === undefined ? { ok: false, reason } : { ok: false, reason, taskId }
      }
      return { ok: true, value: value as Static<S> }
    },
    encode: (value) => {
      if (!compiled.Check(value)) {
        const first = compiled.Errors(value).First()
        throw new TypeError(`refusing to produce an invalid ${String(schema.$id)}: ${first?.path} ${first?.message}`)
      }
      return Buffer.from(JSON.stringify(value))
    }
  }
}

export const codecs = Object.freeze({
  taskSubmitted: codec(TaskSubmittedV1),
  facesDetected: codec(FacesDetectedV1),
  taskStatus: codec(TaskStatusV1),
  deadLetter: codec(DeadLetterV1),
  videoSegment: codec(VideoSegmentV1),
  videoFaces: codec(VideoFacesV1),
  videoEncoded: codec(VideoEncodedV1),
  wsSubscribe: codec(WsSubscribe)
})
