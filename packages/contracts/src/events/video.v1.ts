import { Type, type Static } from '@sinclair/typebox'
import { Box } from '../box.js'
import { ObjectRef, Owner, TaskId, Timestamp } from './common.js'
import { ModelInfo } from './faces-detected.v1.js'
import { TaskOptions } from './task-submitted.v1.js'

/**
 * A video task travels as segments: the `video` stage cuts the upload where decoding can start
 * (keyframes), each segment goes to the detectors, then the blurrers, and the `video` stage joins
 * the encoded segments. Segment events are keyed `{task_id}/{index}` so one video's segments
 * spread over partitions (and so over every detector and blurrer); `video.encoded` is keyed by the
 * task id, so one joiner sees all of a task's segments in order.
 */
export const VideoKind = Type.Literal('video')

/** What the `video` stage learned of the upload: every segment event carries it. */
export const VideoInfo = Type.Object({
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 }),
  /** Frames per second as a rational, e.g. `30000/1001`: the output keeps it exactly. */
  fps: Type.String({ pattern: '^[1-9][0-9]*/[1-9][0-9]*$' }),
  frames: Type.Integer({ minimum: 1 }),
  duration_s: Type.Number({ minimum: 0 }),
  /** Clockwise degrees the stored frames turn to stand upright: decoders apply it, the result is upright. */
  rotation: Type.Union([Type.Literal(0), Type.Literal(90), Type.Literal(180), Type.Literal(270)])
}, { additionalProperties: false })
export type VideoInfo = Static<typeof VideoInfo>

/** One segment's place in its video: frames `[first_frame, first_frame + frames)`. */
export const SegmentRef = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  count: Type.Integer({ minimum: 1 }),
  first_frame: Type.Integer({ minimum: 0 }),
  frames: Type.Integer({ minimum: 1 })
}, { additionalProperties: false })
export type SegmentRef = Static<typeof SegmentRef>

/** The neighbouring segments, so a face's box can be carried across the cut (temporal safety). */
export const SegmentContext = Type.Object({
  before: Type.Optional(ObjectRef),
  after: Type.Optional(ObjectRef)
}, { additionalProperties: false })

const segmentFields = {
  version: Type.Optional(Type.Literal(1)),
  task_id: TaskId,
  kind: VideoKind,
  /** The segment: `work/{task_id}/segments/{index}.mkv`. */
  source: ObjectRef,
  segment: SegmentRef,
  context: SegmentContext,
  video: VideoInfo,
  options: Type.Optional(TaskOptions),
  owner: Type.Optional(Owner)
}

/** `faceblur.video.segments` v1: one segment waiting for the detectors. */
export const VideoSegmentV1 = Type.Object(segmentFields, { additionalProperties: false, $id: 'VideoSegmentV1' })
export type VideoSegmentV1 = Static<typeof VideoSegmentV1>

/**
 * `faceblur.video.faces` v1: the boxes of every frame of a segment, plus `context.before` frames
 * of the segment before it and `context.after` of the one after (`frames[0]` is frame
 * `first_frame - context.before`).
 */
export const VideoFacesV1 = Type.Object({
  ...segmentFields,
  frames: Type.Array(Type.Array(Box)),
  context_frames: Type.Object({ before: Type.Integer({ minimum: 0 }), after: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  model: ModelInfo,
  detected_at: Timestamp
}, { additionalProperties: false, $id: 'VideoFacesV1' })
export type VideoFacesV1 = Static<typeof VideoFacesV1>

/** How many faces a video (or a segment) had, counted before temporal widening. */
export const VideoFaceCounts = Type.Object({
  frames_with_faces: Type.Integer({ minimum: 0 }),
  max_in_a_frame: Type.Integer({ minimum: 0 })
}, { additionalProperties: false })
export type VideoFaceCounts = Static<typeof VideoFaceCounts>

/** `faceblur.video.encoded` v1: one segment blurred and encoded, waiting to be joined. */
export const VideoEncodedV1 = Type.Object({
  version: Type.Optional(Type.Literal(1)),
  task_id: TaskId,
  kind: VideoKind,
  /** The encoded segment: `work/{task_id}/encoded/{index}.mp4`. */
  source: ObjectRef,
  segment: SegmentRef,
  faces: VideoFaceCounts,
  model: ModelInfo,
  options: Type.Optional(TaskOptions),
  owner: Type.Optional(Owner),
  encoded_at: Timestamp
}, { additionalProperties: false, $id: 'VideoEncodedV1' })
export type VideoEncodedV1 = Static<typeof VideoEncodedV1>
