import type { Box, VideoFaceCounts } from '@faceblur/contracts'
import { boxAt, linkTracks } from './tracks.js'

/**
 * Temporal safety: a face the detector misses in one frame, between hits, is the leak viewers
 * notice. Faces are followed from frame to frame (see linkTracks), and each frame is blurred with
 * its own detections plus, for every face seen within `window` frames of it but not in it, that
 * face's box carried there: interpolated between its sightings, or moved on by its own motion (the
 * camera's when it was seen once) and grown by half that move. Each box stays its own region, so
 * no union can leave part of a face outside its shape; a carried box may reach past the frame.
 *
 * `frames` holds the boxes of `ownCount` frames (of size `frame`) starting at `ownStart`, with context frames of
 * the neighbouring segments before and after them, so the window reaches across a cut.
 */
export function carryBoxes (frames: ReadonlyArray<readonly Box[]>, ownStart: number, ownCount: number, window: number, frame: { width: number, height: number }): Box[][] {
  const { tracks, shifts } = linkTracks(frames, 2 * window, frame)
  const out: Box[][] = []
  for (let at = ownStart; at < ownStart + ownCount; at++) {
    out.push(tracks.map((track) => boxAt(track, at, window, shifts, frame)).filter((b): b is Box => b !== null))
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
