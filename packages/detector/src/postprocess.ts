import type { Box, Face } from '@faceblur/contracts'
import type { Letterbox } from './letterbox.js'
import type { InnerEdge } from './tiles.js'

/** A candidate in model-input pixels, `[x1, y1, x2, y2]` as floats. */
export interface Candidate { x1: number, y1: number, x2: number, y2: number, score: number }

/**
 * Decodes YOLOv8's `[1, 4 + classes (+ extras), anchors]` output: rows are channels, so the
 * value for channel c of anchor a sits at `c * anchors + a`. Only the face score (channel 4) is
 * read; any landmark channels after it are ignored.
 */
export function decodeYolov8 (output: Float32Array, channels: number, anchors: number, confidence: number): Candidate[] {
  if (channels < 5) throw new Error(`expected at least 5 output channels, got ${channels}`)
  const out: Candidate[] = []
  const scoreRow = 4 * anchors
  for (let a = 0; a < anchors; a++) {
    const score = output[scoreRow + a]!
    if (score < confidence) continue // most anchors stop here: only the score row is touched
    const cx = output[a]!
    const cy = output[anchors + a]!
    const w = output[2 * anchors + a]!
    const h = output[3 * anchors + a]!
    out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score })
  }
  return out
}

export function iou (a: Candidate, b: Candidate): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1))
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1))
  const inter = ix * iy
  if (inter === 0) return 0
  const areaA = (a.x2 - a.x1) * (a.y2 - a.y1)
  const areaB = (b.x2 - b.x1) * (b.y2 - b.y1)
  return inter / (areaA + areaB - inter)
}

const area = (c: Candidate): number => Math.max(0, c.x2 - c.x1) * Math.max(0, c.y2 - c.y1)
const intersection = (a: Candidate, b: Candidate): number => overlapX(a, b) * overlapY(a, b)
const overlapX = (a: Candidate, b: Candidate): number => Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1))
const overlapY = (a: Candidate, b: Candidate): number => Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1))

/** A candidate that touched inner edges of the tile it was found in: possibly a piece of a face. */
export interface CutCandidate { candidate: Candidate, edges: InnerEdge[] }

/**
 * Whether `whole` explains the cut piece `c`: it holds most of it, or it is the face that crosses
 * the edge `c` was cut at, lined up with `c` along that edge (a tile that sees only a chin and
 * neck below its top edge finds a "face" there; the whole face crosses that edge above it).
 */
function explains (whole: Candidate, cut: CutCandidate, cover: number): boolean {
  const c = cut.candidate
  if (intersection(c, whole) >= cover * area(c)) return true
  return cut.edges.some((edge) => edge.axis === 'y'
    ? whole.y1 < edge.at && whole.y2 > edge.at && overlapX(c, whole) >= cover * Math.min(c.x2 - c.x1, whole.x2 - whole.x1)
    : whole.x1 < edge.at && whole.x2 > edge.at && overlapY(c, whole) >= cover * Math.min(c.y2 - c.y1, whole.y2 - whole.y1))
}

/**
 * Candidates cut by a tile's inner edge against those no edge touched (`whole`), in source pixels.
 * A cut piece that a whole candidate explains is dropped; the others are kept, because a face no
 * view holds whole must still be found: pieces that overlap, lined up along one axis, are joined
 * into one box (the union, the best score).
 */
export function keepUncoveredCuts (cut: CutCandidate[], whole: Candidate[], cover = 0.5): Candidate[] {
  const joined: Candidate[] = []
  for (const piece of [...cut].sort((a, b) => b.candidate.score - a.candidate.score)) {
    if (whole.some((w) => explains(w, piece, cover))) continue
    const c = piece.candidate
    const same = joined.find((j) => intersection(j, c) > 0 &&
      (overlapX(j, c) >= cover * Math.min(j.x2 - j.x1, c.x2 - c.x1) || overlapY(j, c) >= cover * Math.min(j.y2 - j.y1, c.y2 - c.y1)))
    if (same === undefined) {
      joined.push({ ...c })
    } else {
      same.x1 = Math.min(same.x1, c.x1)
      same.y1 = Math.min(same.y1, c.y1)
      same.x2 = Math.max(same.x2, c.x2)
      same.y2 = Math.max(same.y2, c.y2)
    }
  }
  return joined
}

/** Greedy non-maximum suppression, highest score first. */
export function nms (candidates: Candidate[], iouThreshold: number): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score)
  const kept: Candidate[] = []
  for (const c of sorted) {
    if (kept.every((k) => iou(k, c) <= iouThreshold)) kept.push(c)
  }
  return kept
}

/** Input pixels of one view → float pixels of the upright source, clipped to that view's region. */
export function toSource (c: Candidate, lb: Letterbox, offset: { left: number, top: number } = { left: 0, top: 0 }): Candidate {
  const clip = (v: number, max: number): number => Math.min(max, Math.max(0, v))
  return {
    x1: offset.left + clip((c.x1 - lb.padX) / lb.scale, lb.width),
    y1: offset.top + clip((c.y1 - lb.padY) / lb.scale, lb.height),
    x2: offset.left + clip((c.x2 - lb.padX) / lb.scale, lb.width),
    y2: offset.top + clip((c.y2 - lb.padY) / lb.scale, lb.height),
    score: c.score
  }
}

/** Float source pixels → the system's box: integers, clipped to the image. */
export function toBox (c: Candidate, width: number, height: number): Box {
  const clip = (v: number, max: number): number => Math.min(max, Math.max(0, Math.round(v)))
  return [clip(c.x1, width), clip(c.y1, height), clip(c.x2, width), clip(c.y2, height)]
}

/** Input pixels → integer pixels of the upright source image, clipped to it. */
export const toSourceBox = (c: Candidate, lb: Letterbox): Box => toBox(toSource(c, lb), lb.width, lb.height)

/**
 * Drops a candidate that lies mostly (`cover` of its area) inside a larger one: a piece of a face
 * (its lower half, one side) that a tile cutting the face saw as a face of its own. NMS keeps it,
 * as a piece overlaps the whole face by less than the IoU threshold. Faces do not nest, so a real
 * face is never inside another's box.
 */
export function dropContained (candidates: Candidate[], cover = 0.8): Candidate[] {
  return candidates.filter((c) => !candidates.some((o) => o !== c && area(o) > area(c) && intersection(c, o) >= cover * area(c)))
}

/**
 * Candidates from every view of one image (already in source pixels) → its faces: NMS across
 * views, pieces inside a larger face dropped, integer boxes, empty ones dropped, in reading order
 * (face_1 is the leftmost).
 */
export function finalize (candidates: Candidate[], iouThreshold: number, width: number, height: number): Face[] {
  return dropContained(nms(candidates, iouThreshold))
    .map((c) => ({ box: toBox(c, width, height), score: Math.round(c.score * 1e4) / 1e4 }))
    .filter((f) => f.box[2] > f.box[0] && f.box[3] > f.box[1])
    .sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1])
}

/** The whole post-processing of one full-image view: a pure function of the output, the thresholds and the geometry. */
export function postprocess (output: Float32Array, dims: readonly number[], lb: Letterbox, thresholds: { confidence: number, iou: number }): Face[] {
  const [, channels = 0, anchors = 0] = dims
  const candidates = decodeYolov8(output, channels, anchors, thresholds.confidence).map((c) => toSource(c, lb))
  return finalize(candidates, thresholds.iou, lb.width, lb.height)
}
