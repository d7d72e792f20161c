import type { Box } from '@faceblur/contracts'

export interface Region { left: number, top: number, width: number, height: number }

/**
 * The area to anonymise for one face: the box grown by `padding` of its size on every side (so
 * hairline, ears and chin are covered), clipped to the image. Null when nothing is left.
 */
export function paddedRegion (box: Box, padding: number, imageWidth: number, imageHeight: number): Region | null {
  const [x1, y1, x2, y2] = box
  const padX = (x2 - x1) * padding
  const padY = (y2 - y1) * padding
  const left = Math.max(0, Math.floor(x1 - padX))
  const top = Math.max(0, Math.floor(y1 - padY))
  const right = Math.min(imageWidth, Math.ceil(x2 + padX))
  const bottom = Math.min(imageHeight, Math.ceil(y2 + padY))
  if (right - left < 1 || bottom - top < 1) return null
  return { left, top, width: right - left, height: bottom - top }
}

/**
 * How many cells survive across a region's longer side. Whatever the face's size, at most this
 * much information is kept, which is what makes the blur irreversible: a big face is not just
 * smoothed, it is reduced to a handful of colours first.
 */
export const CELLS_ACROSS = { gaussian: 8, pixelate: 10 } as const

/** The reduced size of a region: `cells` across its longer side, at least 1 px each way. */
export function reducedSize (region: Region, cells: number): { width: number, height: number } {
  const longer = Math.max(region.width, region.height)
  const factor = Math.min(1, cells / longer)
  return { width: Math.max(1, Math.round(region.width * factor)), height: Math.max(1, Math.round(region.height * factor)) }
}

/** Longer side at which a gaussian region is smoothed before its final enlargement. */
export const SMOOTHING_SIZE = 64

/** Smoothing of a reduced gaussian region, scaled with it so the cells never show. */
export const smoothingSigma = (size: { width: number, height: number }): number => Math.max(0.5, Math.max(size.width, size.height) / 16)

/**
 * Keeps `anonymised` inside the ellipse inscribed in the region and `original` outside it, in
 * place in `anonymised`. Both are raw regions with the same size and channel count. Replacing
 * pixels rather than blending keeps alpha exact: a half-transparent face cannot show through.
 */
export function selectEllipse (anonymised: Buffer, original: Buffer, width: number, height: number, channels: number): Buffer {
  const rx = width / 2
  const ry = height / 2
  for (let y = 0; y < height; y++) {
    const dy = (y + 0.5 - ry) / ry
    const half = rx * Math.sqrt(Math.max(0, 1 - dy * dy)) // the ellipse's half-width on this row
    const inFrom = Math.ceil(rx - half - 0.5)
    const inTo = Math.floor(rx + half - 0.5)
    const row = y * width * channels
    original.copy(anonymised, row, row, row + Math.max(0, inFrom) * channels)
    const right = row + (Math.min(width - 1, inTo) + 1) * channels
    original.copy(anonymised, right, right, row + width * channels)
  }
  return anonymised
}

export const overlaps = (a: Region, b: Region): boolean =>
  a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height

/** Copies a region's pixels out of a raw image (the inverse of `pasteRegion`). */
export function cropRegion (image: Buffer, imageWidth: number, region: Region, channels: number): Buffer {
  const rowBytes = region.width * channels
  const out = Buffer.allocUnsafe(rowBytes * region.height)
  for (let y = 0; y < region.height; y++) {
    const from = ((region.top + y) * imageWidth + region.left) * channels
    image.copy(out, y * rowBytes, from, from + rowBytes)
  }
  return out
}

/** Copies a raw region's pixels into the raw image it was cut from, in place. */
export function pasteRegion (image: Buffer, imageWidth: number, pixels: Buffer, region: Region, channels: number): void {
  const rowBytes = region.width * channels
  for (let y = 0; y < region.height; y++) {
    pixels.copy(image, ((region.top + y) * imageWidth + region.left) * channels, y * rowBytes, (y + 1) * rowBytes)
  }
}

/** Opaque black, in raw pixels of the given channel count (alpha last for 2 and 4). */
export function solidFill (width: number, height: number, channels: number): Buffer {
  const out = Buffer.alloc(width * height * channels)
  if (channels === 2 || channels === 4) for (let i = channels - 1; i < out.length; i += channels) out[i] = 255
  return out
}
