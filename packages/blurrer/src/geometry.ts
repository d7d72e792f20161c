import type { BlurShape, Box } from '@faceblur/contracts'

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
 * The columns `[from, to)` of row `y` inside the ellipse inscribed in a `width`×`height` region:
 * the pixels whose centres lie in it, with every row reaching at least one pixel.
 */
export function ellipseSpan (y: number, width: number, height: number): [number, number] {
  const rx = width / 2
  const ry = height / 2
  const dy = (y + 0.5 - ry) / ry
  const half = rx * Math.sqrt(Math.max(0, 1 - dy * dy)) // the ellipse's half-width on this row
  const from = Math.max(0, Math.ceil(rx - half - 0.5))
  const to = Math.min(width - 1, Math.floor(rx + half - 0.5)) + 1
  return [from, Math.max(from, to)]
}

export const overlaps = (a: Region, b: Region): boolean =>
  a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height

/** A small raw image: what a region is reduced to before it is enlarged back into the picture. */
export interface Small { data: Buffer, width: number, height: number }

/** For each output pixel along one axis: the two source pixels around its centre and the weight of the second. */
function samples (out: number, source: number, kernel: 'nearest' | 'linear'): { lo: Int32Array, hi: Int32Array, w: Float32Array } {
  const lo = new Int32Array(out)
  const hi = new Int32Array(out)
  const w = new Float32Array(out)
  const scale = source / out
  for (let i = 0; i < out; i++) {
    if (kernel === 'nearest') {
      lo[i] = hi[i] = Math.min(source - 1, Math.floor(i * scale)) // as libvips places its cells
    } else {
      const at = Math.min(source - 1, Math.max(0, (i + 0.5) * scale - 0.5))
      lo[i] = Math.floor(at)
      hi[i] = Math.min(source - 1, lo[i]! + 1)
      w[i] = at - lo[i]!
    }
  }
  return { lo, hi, w }
}

/**
 * Enlarges `small` to the region and writes it into the raw image in place, in one pass: all of
 * the region for a rectangle, only inside the inscribed ellipse for an ellipse (the corners keep
 * the image's own pixels). `nearest` keeps the cells as blocks; `linear` interpolates between
 * their centres (for an already smoothed source). Pixels are replaced, never blended with the
 * image, so alpha stays exact: a half-transparent face cannot show through.
 */
export function enlargeInto (image: Buffer, imageWidth: number, channels: number, region: Region, small: Small, kernel: 'nearest' | 'linear', shape: BlurShape): void {
  const src = small.data
  const cols = samples(region.width, small.width, kernel)
  const rows = samples(region.height, small.height, kernel)
  const stride = small.width * channels
  for (let y = 0; y < region.height; y++) {
    const [from, to] = shape === 'ellipse' ? ellipseSpan(y, region.width, region.height) : [0, region.width]
    const upper = rows.lo[y]! * stride
    const lower = rows.hi[y]! * stride
    const wy = rows.w[y]!
    let at = ((region.top + y) * imageWidth + region.left + from) * channels
    for (let x = from; x < to; x++) {
      const left = cols.lo[x]! * channels
      const right = cols.hi[x]! * channels
      const wx = cols.w[x]!
      for (let c = 0; c < channels; c++) {
        const top = src[upper + left + c]! + (src[upper + right + c]! - src[upper + left + c]!) * wx
        const bottom = src[lower + left + c]! + (src[lower + right + c]! - src[lower + left + c]!) * wx
        image[at++] = top + (bottom - top) * wy + 0.5 // a mix of bytes: always within 0..255.5
      }
    }
  }
}

/** Opaque black, in raw pixels of the given channel count (alpha last for 2 and 4). */
export function solidFill (width: number, height: number, channels: number): Buffer {
  const out = Buffer.alloc(width * height * channels)
  if (channels === 2 || channels === 4) for (let i = channels - 1; i < out.length; i += channels) out[i] = 255
  return out
}
