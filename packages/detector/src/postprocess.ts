import type { Box, Face } from '@faceblur/contracts'
import type { Letterbox } from './letterbox.js'

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
 * Candidates from every view of one image (already in source pixels) → its faces: NMS across
 * views, integer boxes, empty ones dropped, in reading order (face_1 is the leftmost).
 */
export function finalize (candidates: Candidate[], iouThreshold: number, width: number, height: number): Face[] {
  return nms(candidates, iouThreshold)
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
