import type { Region } from './letterbox.js'

export interface TilingOptions {
  /** Tile side in source pixels. */
  size: number
  /** Fraction of a tile shared with its neighbour; faces smaller than this are whole in some tile. */
  overlap: number
  /** Tiling starts when the image's longer side exceeds this many pixels. */
  above: number
}

/** Start offsets of tiles of `size` covering `length` with at least `overlap` pixels shared. */
function starts (length: number, size: number, overlap: number): number[] {
  if (length <= size) return [0]
  const count = Math.ceil((length - overlap) / (size - overlap))
  const step = (length - size) / (count - 1) // spread evenly: the last tile ends at the edge
  return Array.from({ length: count }, (_, i) => Math.round(i * step))
}

/**
 * Overlapping square tiles over the whole image, or none when the image is small enough for one
 * pass to see its faces. The full-image pass always runs besides: it finds the faces too large
 * for a tile.
 */
export function tileGrid (width: number, height: number, options: TilingOptions): Region[] {
  if (Math.max(width, height) <= options.above) return []
  const size = Math.min(options.size, Math.max(width, height))
  const overlap = Math.round(size * options.overlap)
  const xs = starts(width, Math.min(size, width), overlap)
  const ys = starts(height, Math.min(size, height), overlap)
  return ys.flatMap((top) => xs.map((left) => ({ left, top, width: Math.min(size, width), height: Math.min(size, height) })))
}

/**
 * Whether a box found in `tile` touches one of the tile's inner edges (an edge that is not also
 * the image's). Such a face is cut; with enough overlap it is whole in a neighbouring tile, or
 * big enough for the full-image pass, so the cut copy is dropped.
 */
export function touchesInnerEdge (box: readonly [number, number, number, number], tile: Region, imageWidth: number, imageHeight: number, margin = 2): boolean {
  const [x1, y1, x2, y2] = box
  const right = tile.left + tile.width
  const bottom = tile.top + tile.height
  return (tile.left > 0 && x1 <= tile.left + margin) ||
    (tile.top > 0 && y1 <= tile.top + margin) ||
    (right < imageWidth && x2 >= right - margin) ||
    (bottom < imageHeight && y2 >= bottom - margin)
}
