import type { Box } from '@faceblur/contracts'

/**
 * Faces followed from frame to frame, so a box carried to a frame where the detector missed its
 * face lands where that face is, not where it was. Pure functions of the detections alone.
 */

/** A face's box in each frame where the detector found it, in frame order. */
export interface Track { frames: number[], boxes: Box[] }

/** A box as floats: positions are predicted and interpolated before they are rounded. */
type Quad = [number, number, number, number]

const centre = (b: Quad): [number, number] => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]
const side = (b: Quad): number => Math.max(1, b[2] - b[0], b[3] - b[1])
const shifted = (b: Quad, dx: number, dy: number): Quad => [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy]
const lerp = (a: Quad, b: Quad, f: number): Quad => [0, 1, 2, 3].map((i) => a[i]! + (b[i]! - a[i]!) * f) as Quad

/**
 * The camera's motion from one frame's faces to those `frames` later: the displacement that most
 * faces of the first frame agree on (a pan moves them all alike), among pairs of similar size no
 * more than two face sizes a frame apart; ties go to the smaller move, [0, 0] with no pair at all.
 */
export function dominantShift (from: readonly Box[], to: readonly Box[], frames = 1): [number, number] {
  const candidates: Array<{ face: number, d: [number, number], tolerance: number }> = []
  from.forEach((a, face) => {
    const [ax, ay] = centre(a)
    for (const b of to) {
      const ratio = side(b) / side(a)
      const [bx, by] = centre(b)
      if (ratio < 0.67 || ratio > 1.5 || Math.hypot(bx - ax, by - ay) > 2 * side(a) * frames) continue
      candidates.push({ face, d: [bx - ax, by - ay], tolerance: 0.25 * side(a) })
    }
  })
  let best: [number, number] = [0, 0]
  let bestVotes = 0
  for (const c of candidates) {
    const voters = new Set(candidates.filter((o) => Math.hypot(o.d[0] - c.d[0], o.d[1] - c.d[1]) <= o.tolerance).map((o) => o.face))
    const better = voters.size > bestVotes || (voters.size === bestVotes && Math.hypot(...c.d) < Math.hypot(...best))
    if (better) { best = c.d; bestVotes = voters.size }
  }
  return best
}

/**
 * A track's motion per frame around sighting `i`, towards later frames (`forward`) or earlier
 * ones: from the sighting before it (or after it) when there is one, else the other side; null
 * for a face seen once.
 */
function velocity (track: Track, i: number, forward: boolean): Quad | null {
  const n = track.frames.length
  if (n < 2) return null
  const first = forward ? (i >= 1 ? i - 1 : i) : (i + 1 < n ? i : i - 1)
  const gap = track.frames[first + 1]! - track.frames[first]!
  const a = track.boxes[first]!
  const b = track.boxes[first + 1]!
  return [0, 1, 2, 3].map((k) => (b[k]! - a[k]!) / gap) as Quad
}

/**
 * The camera's motion into each frame: between two frames with faces (no more than `maxGap`
 * empty ones apart) the dominant shift, spread evenly over the frames between; [0, 0] elsewhere.
 */
export function cameraShifts (frames: ReadonlyArray<readonly Box[]>, maxGap: number): Array<[number, number]> {
  const shifts: Array<[number, number]> = frames.map(() => [0, 0])
  let last = -1
  frames.forEach((boxes, k) => {
    if (boxes.length === 0) return
    const gap = k - last
    if (last >= 0 && gap <= maxGap + 1) {
      const [dx, dy] = dominantShift(frames[last]!, boxes, gap)
      for (let j = last + 1; j <= k; j++) shifts[j] = [dx / gap, dy / gap]
    }
    last = k
  })
  return shifts
}

/** The camera's motion summed over frames (from, to]; negative when `to` is before `from`. */
function cameraMove (shifts: ReadonlyArray<[number, number]>, from: number, to: number): [number, number] {
  let dx = 0
  let dy = 0
  for (let k = Math.min(from, to) + 1; k <= Math.max(from, to); k++) { dx += shifts[k]![0]; dy += shifts[k]![1] }
  return from <= to ? [dx, dy] : [-dx, -dy]
}

/**
 * Where a track's face is expected `to` frames from a sighting at `from`: moved by its own motion,
 * or the camera's when it was seen once. A prediction with no sighting on the other side is
 * grown by half its move on every side, as the face may have sped up or turned.
 */
function extrapolate (track: Track, sighting: number, to: number, shifts: ReadonlyArray<[number, number]>): Quad {
  const from = track.frames[sighting]!
  const box = track.boxes[sighting]! as Quad
  const d = to - from
  const v = velocity(track, sighting, d >= 0)
  const moved: Quad = v === null
    ? shifted(box, ...cameraMove(shifts, from, to))
    : [box[0] + v[0] * d, box[1] + v[1] * d, box[2] + v[2] * d, box[3] + v[3] * d]
  const [mx, my] = [Math.abs((moved[0] + moved[2] - box[0] - box[2]) / 4), Math.abs((moved[1] + moved[3] - box[1] - box[3]) / 4)]
  return [moved[0] - mx, moved[1] - my, moved[2] + mx, moved[3] + my]
}

/**
 * Links each frame's detections to the tracks seen within the last `maxGap` frames: a track is
 * predicted into the frame (its own motion, else the camera's), clipped to the frame as the
 * detections are, and takes the nearest detection within half a face per frame since it was
 * seen (a whole face at most), nearest pairs first; a track predicted out of the frame has left
 * it. A detection no track takes starts one.
 */
export function linkTracks (frames: ReadonlyArray<readonly Box[]>, maxGap: number, frame: { width: number, height: number }): { tracks: Track[], shifts: Array<[number, number]> } {
  const shifts = cameraShifts(frames, maxGap)
  const tracks: Track[] = []
  frames.forEach((detections, k) => {
    const live = tracks.filter((t) => k - t.frames.at(-1)! <= maxGap + 1)
    const pairs: Array<{ track: Track, det: number, cost: number }> = []
    for (const track of live) {
      const gap = k - track.frames.at(-1)!
      const [x1, y1, x2, y2] = extrapolate(track, track.frames.length - 1, k, shifts)
      if (x2 <= 0 || y2 <= 0 || x1 >= frame.width || y1 >= frame.height) continue // it has left the frame
      const [px, py] = centre([Math.max(0, x1), Math.max(0, y1), Math.min(frame.width, x2), Math.min(frame.height, y2)])
      detections.forEach((det, i) => {
        const [dx, dy] = centre(det)
        const cost = Math.hypot(dx - px, dy - py) / side(det)
        if (cost <= 0.5 * Math.min(gap, 2)) pairs.push({ track, det: i, cost })
      })
    }
    pairs.sort((a, b) => a.cost - b.cost)
    const taken = new Set<number>()
    const moved = new Set<Track>()
    for (const { track, det } of pairs) {
      if (taken.has(det) || moved.has(track)) continue
      taken.add(det)
      moved.add(track)
      track.frames.push(k)
      track.boxes.push(detections[det]!)
    }
    detections.forEach((det, i) => { if (!taken.has(i)) tracks.push({ frames: [k], boxes: [det] }) })
  })
  return { tracks, shifts }
}

/** Within this many pixels of the frame's border a box is taken as cut by it (as the blurrer does). */
const EDGE_PX = 2

/**
 * A box carried from sightings cut by the frame's border stays cut by it: a clipped box's border
 * side does not move with the face, so interpolating it would pull the box off the part of the
 * face still in the frame. Its sides on that border are set on it (the blurrer then covers the
 * face up to the border).
 */
function keepCut (box: Quad, from: readonly Box[], frame: { width: number, height: number }): Quad {
  const [x1, y1, x2, y2] = box
  return [
    from.some((b) => b[0] <= EDGE_PX) ? Math.min(x1, 0) : x1,
    from.some((b) => b[1] <= EDGE_PX) ? Math.min(y1, 0) : y1,
    from.some((b) => b[2] >= frame.width - EDGE_PX) ? Math.max(x2, frame.width) : x2,
    from.some((b) => b[3] >= frame.height - EDGE_PX) ? Math.max(y2, frame.height) : y2
  ]
}

/**
 * A track's box in frame `at` of a `frame`-sized video: its detection there; else between its
 * sightings within `window` frames each way, interpolated; else moved on from the nearest
 * sighting within `window` (see extrapolate). Null when the track was not seen within `window`.
 */
export function boxAt (track: Track, at: number, window: number, shifts: ReadonlyArray<[number, number]>, frame: { width: number, height: number }): Box | null {
  const after = track.frames.findIndex((f) => f >= at)
  if (after !== -1 && track.frames[after] === at) return track.boxes[after]!
  const before = (after === -1 ? track.frames.length : after) - 1
  const p = before >= 0 && at - track.frames[before]! <= window ? before : -1
  const n = after !== -1 && track.frames[after]! - at <= window ? after : -1
  let box: Quad
  if (p >= 0 && n >= 0) box = keepCut(lerp(track.boxes[p]! as Quad, track.boxes[n]! as Quad, (at - track.frames[p]!) / (track.frames[n]! - track.frames[p]!)), [track.boxes[p]!, track.boxes[n]!], frame)
  else if (p >= 0 || n >= 0) box = keepCut(extrapolate(track, Math.max(p, n), at, shifts), [track.boxes[Math.max(p, n)]!], frame)
  else return null
  return [Math.floor(box[0]), Math.floor(box[1]), Math.ceil(box[2]), Math.ceil(box[3])]
}
