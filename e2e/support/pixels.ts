import sharp from 'sharp'
import type { Box } from '@faceblur/contracts'

export interface Gray { data: Buffer, width: number, height: number }

/** Upright, greyscale, 8-bit: enough to compare an original with its blurred copy. */
export async function gray (encoded: Buffer): Promise<Gray> {
  const { data, info } = await sharp(encoded).rotate().greyscale().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

/** Mean absolute difference of two images inside `box`. */
export function meanAbsDiff (a: Gray, b: Gray, [x1, y1, x2, y2]: Box): number {
  let sum = 0
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) sum += Math.abs(a.data[y * a.width + x]! - b.data[y * b.width + x]!)
  return sum / Math.max(1, (x2 - x1) * (y2 - y1))
}

/** High-frequency energy inside `box`: mean squared horizontal and vertical neighbour difference. */
export function detailEnergy (img: Gray, [x1, y1, x2, y2]: Box): number {
  let sum = 0
  let n = 0
  for (let y = y1; y < y2 - 1; y++) {
    for (let x = x1; x < x2 - 1; x++) {
      const p = img.data[y * img.width + x]!
      const dx = img.data[y * img.width + x + 1]! - p
      const dy = img.data[(y + 1) * img.width + x]! - p
      sum += dx * dx + dy * dy
      n++
    }
  }
  return sum / Math.max(1, n)
}

export function iou (a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]))
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]))
  const inter = ix * iy
  const area = (r: Box): number => (r[2] - r[0]) * (r[3] - r[1])
  return inter / (area(a) + area(b) - inter)
}
