// The fixture photo (two faces of ~400×530 px) tiled N×N into one JPEG: a large photo of large
// faces, where tiles too small to hold a face whole used to lose whole rows of them. The true
// boxes follow from the layout.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { Box } from '@faceblur/contracts'

const seed = readFileSync(join(import.meta.dirname, '../../../../../shared/fixtures/seed_test.jpg'))
/** The seed photo's faces (the reference boxes, rounded). */
const SEED_FACES: Box[] = [[232, 170, 622, 697], [1045, 241, 1466, 801]]

export interface Mosaic { image: Buffer, faces: Box[], width: number, height: number }

export async function makeMosaic (n: number): Promise<Mosaic> {
  const tile = await sharp(seed).raw().toBuffer({ resolveWithObject: true })
  const { width, height } = tile.info
  const cells = Array.from({ length: n * n }, (_, i) => ({ left: (i % n) * width, top: Math.floor(i / n) * height }))
  const image = await sharp({ create: { width: width * n, height: height * n, channels: 3, background: '#808080' } })
    .composite(cells.map(({ left, top }) => ({ input: tile.data, raw: tile.info, left, top })))
    .jpeg({ quality: 85 })
    .toBuffer()
  const faces = cells.flatMap(({ left, top }) => SEED_FACES.map(([x1, y1, x2, y2]): Box => [x1 + left, y1 + top, x2 + left, y2 + top]))
  return { image, faces, width: width * n, height: height * n }
}

const area = (b: Box): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1])
export function boxIou (a: Box, b: Box): number {
  const inter = area([Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])])
  return inter === 0 ? 0 : inter / (area(a) + area(b) - inter)
}

/** How many true faces some found box matches (IoU ≥ `threshold`). */
export const facesFound = (truth: Box[], found: Array<{ box: Box }>, threshold = 0.5): number =>
  truth.filter((t) => found.some((f) => boxIou(t, f.box) >= threshold)).length
