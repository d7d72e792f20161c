// The privacy check of a blurred video, every frame and every face: the faces the service's own
// detector finds on each *input* frame must have lost their central detail in the output frame.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { Box } from '@faceblur/contracts'
import type { Detector } from '@faceblur/detector'
import { createFfmpeg } from '@faceblur/media'

const ffmpeg = createFfmpeg({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' })

/** Faces at least this big (longer side, px) must keep at most LIMITS.big of their detail; any face LIMITS.any. */
export const BIG_FACE_PX = 20
export const LIMITS = { big: 0.3, any: 0.5 } as const

export interface FaceResult { frame: number, box: Box, side: number, /** central detail of the input */ was: number, kept: number }
export interface ClipReport {
  frames: number
  faces: FaceResult[]
  /** Faces over their limit. */
  leaks: FaceResult[]
  /** Per frame, the mean |Δ| of the pixels far from every face seen within a few frames. */
  background: number[]
}

type Grey = Uint8Array

function greyOf (rgb: Buffer): Grey {
  const out = new Uint8Array(rgb.length / 3)
  for (let i = 0, j = 0; i < out.length; i++, j += 3) out[i] = (rgb[j]! * 77 + rgb[j + 1]! * 150 + rgb[j + 2]! * 29) >> 8
  return out
}

/** The middle half of a box each way (the face itself, clear of hair and background), in the frame. */
function centreOf ([x1, y1, x2, y2]: Box, width: number, height: number): Box {
  const [w, h] = [x2 - x1, y2 - y1]
  return [Math.max(0, Math.round(x1 + w / 4)), Math.max(0, Math.round(y1 + h / 4)), Math.min(width, Math.round(x2 - w / 4)), Math.min(height, Math.round(y2 - h / 4))]
}

/** Mean |horizontal gradient| inside `box`. */
function detail (g: Grey, width: number, [x1, y1, x2, y2]: Box): number {
  let sum = 0
  let n = 0
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2 - 1; x++) { sum += Math.abs(g[y * width + x + 1]! - g[y * width + x]!); n++ }
  }
  return sum / Math.max(1, n)
}

async function * framesOf (dir: string, name: string, bytes: Buffer, width: number, height: number): AsyncGenerator<Buffer> {
  const path = join(dir, name)
  await writeFile(path, bytes)
  yield * ffmpeg.frames(path, { width, height, rotation: 0 })
}

/**
 * Compares every frame of `input` and `output` (same size, same frames): per face found on the
 * input frame, the output's central detail over the input's; per frame, the change far from any
 * face seen within `near` frames (each box grown by its own size every way) — the background.
 */
export async function checkEveryFace (dir: string, input: Buffer, output: Buffer, size: { width: number, height: number }, detector: Detector, near = 3): Promise<ClipReport> {
  const { width, height } = size
  const boxes: Box[][] = []
  const inputs: Grey[] = []
  for await (const rgb of framesOf(dir, 'check-in.mp4', input, width, height)) {
    boxes.push((await detector.detectFrame({ rgb, width, height })).faces.map((f) => f.box))
    inputs.push(greyOf(rgb))
  }
  const faces: FaceResult[] = []
  const background: number[] = []
  let n = 0
  for await (const rgb of framesOf(dir, 'check-out.mp4', output, width, height)) {
    const out = greyOf(rgb)
    const before = inputs[n]
    if (before === undefined) throw new Error(`the output has more frames than the input (${inputs.length})`)
    for (const box of boxes[n]!) {
      const centre = centreOf(box, width, height)
      const was = detail(before, width, centre)
      faces.push({ frame: n, box, side: Math.max(box[2] - box[0], box[3] - box[1]), was, kept: was === 0 ? 0 : detail(out, width, centre) / was })
    }
    background.push(backgroundChange(before, out, width, height, boxes.slice(Math.max(0, n - near), n + near + 1).flat()))
    n++
  }
  if (n !== inputs.length) throw new Error(`the output has ${n} frames, the input ${inputs.length}`)
  const leaks = faces.filter((f) => f.kept > (f.side >= BIG_FACE_PX ? LIMITS.big : LIMITS.any))
  return { frames: n, faces, leaks, background }
}

/** Mean |Δ| over the pixels outside every box grown by its own size each way; 0 when none are left. */
function backgroundChange (a: Grey, b: Grey, width: number, height: number, boxes: readonly Box[]): number {
  const away = new Uint8Array(width * height).fill(1)
  for (const [x1, y1, x2, y2] of boxes) {
    const [w, h] = [x2 - x1, y2 - y1]
    for (let y = Math.max(0, y1 - h); y < Math.min(height, y2 + h); y++) away.fill(0, y * width + Math.max(0, x1 - w), y * width + Math.min(width, x2 + w))
  }
  let sum = 0
  let count = 0
  for (let i = 0; i < away.length; i++) if (away[i] === 1) { sum += Math.abs(a[i]! - b[i]!); count++ }
  return count === 0 ? 0 : sum / count
}

/** One line for the test output: faces checked, the worst, frames. */
export function summary (name: string, r: ClipReport): string {
  const w = r.faces.reduce<FaceResult | undefined>((worst, f) => worst === undefined || f.kept > worst.kept ? f : worst, undefined)
  const bg = Math.max(0, ...r.background)
  return `clip ${name}: ${r.frames} frames, ${r.faces.length} faces checked, ${r.leaks.length} over the limit; worst face ${w === undefined ? '-' : `${(w.kept * 100).toFixed(0)} % kept (frame ${w.frame}, ${w.side} px, ${JSON.stringify(w.box)})`}; background worst mean |Δ| ${bg.toFixed(2)}`
}

/**
 * Prints the clip's figures and asserts them: every face within its limit (each leak named), and
 * away from faces every frame nearly unchanged (mean |Δ| under 6 grey levels after two H.264 encodes).
 */
export function expectBlurred (t: Test, name: string, report: ClipReport): void {
  t.comment(summary(name, report))
  for (const leak of report.leaks) t.fail(`${name}, frame ${leak.frame}: the ${leak.side} px face ${JSON.stringify(leak.box)} kept ${(leak.kept * 100).toFixed(0)} % of its detail`)
  t.equal(report.leaks.length, 0, `${name}: no face over its limit among ${report.faces.length} in ${report.frames} frames`)
  const moved = report.background.map((d, frame) => ({ frame, d })).filter(({ d }) => d >= 6)
  t.same(moved, [], `${name}: away from faces every frame is nearly unchanged`)
}
