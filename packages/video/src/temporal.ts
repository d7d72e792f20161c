import type { Box, VideoFaceCounts } from '@faceblur/contracts'

/**
 * Temporal safety: a face the detector misses in one frame, between hits, is the leak viewers
 * notice. Each frame is blurred with the boxes of every frame within `window` frames of it, its
 * own included, so a face found in frame n is covered in frames n − window … n + window too; the
 * boxes of one face from those frames are blurred as their union.
 *
 * `frames` holds the boxes of `ownCount` frames starting at `ownStart`, with context frames of
 * the neighbouring segments before and after them, so the window reaches across a cut.
 */
export function carryBoxes (frames: ReadonlyArray<readonly Box[]>, ownStart: number, ownCount: number, window: number): Box[][] {
  const out: Box[][] = []
  for (let j = 0; j < ownCount; j++) {
    const at = ownStart + j
    const boxes: Box[] = []
    for (let k = Math.max(0, at - window); k <= Math.min(frames.length - 1, at + window); k++) boxes.push(...frames[k] ?? [])
    out.push(mergeOverlapping(boxes))
  }
  return out
}

/**
 * Boxes that overlap (a face seen in neighbouring frames, a little moved) become their union, so
 * each face is blurred once, as one region, however many frames its box comes from. Faces that
 * overlap each other merge too: the blur covers both.
 */
export function mergeOverlapping (boxes: readonly Box[]): Box[] {
  const merged: Box[] = boxes.map((b) => [...b] as Box)
  for (let changed = true; changed;) {
    changed = false
    for (let i = 0; i < merged.length && !changed; i++) {
      for (let j = i + 1; j < merged.length; j++) {
        const a = merged[i]!
        const b = merged[j]!
        if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) {
          merged[i] = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]
          merged.splice(j, 1)
          changed = true
          break
        }
      }
    }
  }
  return merged
}

/** How many frames had faces, and the most in one frame, from the detections alone (no carrying). */
export function countFaces (frames: ReadonlyArray<readonly Box[]>): VideoFaceCounts {
  let withFaces = 0
  let most = 0
  for (const f of frames) {
    if (f.length > 0) withFaces++
    most = Math.max(most, f.length)
  }
  return { frames_with_faces: withFaces, max_in_a_frame: most }
}

export const mergeCounts = (a: VideoFaceCounts, b: VideoFaceCounts): VideoFaceCounts =>
  ({ frames_with_faces: a.frames_with_faces + b.frames_with_faces, max_in_a_frame: Math.max(a.max_in_a_frame, b.max_in_a_frame) })
