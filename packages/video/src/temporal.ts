import type { Box, VideoFaceCounts } from '@faceblur/contracts'

/**
 * Temporal safety: a face the detector misses in one frame, between hits, is the leak viewers
 * notice. Each frame is blurred with the boxes of every frame within `window` frames of it, its
 * own included, so a face found in frame n is covered in frames n − window … n + window too.
 *
 * `frames` holds the boxes of `ownCount` frames starting at `ownStart`, with context frames of
 * the neighbouring segments before and after them, so the window reaches across a cut.
 */
export function carryBoxes (frames: ReadonlyArray<readonly Box[]>, ownStart: number, ownCount: number, window: number): Box[][] {
  const out: Box[][] = []
  for (let j = 0; j < ownCount; j++) {
    const at = ownStart + j
    const seen = new Set<string>()
    const boxes: Box[] = []
    for (let k = Math.max(0, at - window); k <= Math.min(frames.length - 1, at + window); k++) {
      for (const box of frames[k] ?? []) {
        const id = box.join(',')
        if (!seen.has(id)) {
          seen.add(id)
          boxes.push(box)
        }
      }
    }
    out.push(boxes)
  }
  return out
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
