import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { FaceBlurError, VideoInfo } from '@faceblur/contracts'

/**
 * What the splitter decided for one video, kept at `work/{task_id}/plan.json` for the joiner:
 * the video's shape, each segment's frames, and the audio it carries (when kept).
 */
export const VideoPlan = Type.Object({
  video: VideoInfo,
  segments: Type.Array(Type.Object({ first_frame: Type.Integer({ minimum: 0 }), frames: Type.Integer({ minimum: 1 }) })),
  audio: Type.Optional(Type.Object({ codec: Type.String() }))
})
export type VideoPlan = Static<typeof VideoPlan>

const compiled = TypeCompiler.Compile(VideoPlan)

export function parsePlan (bytes: Buffer): VideoPlan {
  const value: unknown = JSON.parse(bytes.toString())
  if (!compiled.Check(value)) throw new FaceBlurError('FB_ERR_INTERNAL', 'the video plan is not valid')
  return value
}

/** Segments from their frame counts: where each starts in the whole video. Empty segments are dropped. */
export function segmentsFrom (counts: readonly number[]): Array<{ file: number, first_frame: number, frames: number }> {
  const out: Array<{ file: number, first_frame: number, frames: number }> = []
  let first = 0
  counts.forEach((frames, file) => {
    if (frames <= 0) return
    out.push({ file, first_frame: first, frames })
    first += frames
  })
  return out
}

/** Frames done, from the indexes of the segments done. */
export const framesDone = (plan: VideoPlan, done: Iterable<number>): number => {
  let n = 0
  for (const i of done) n += plan.segments[i]?.frames ?? 0
  return n
}
