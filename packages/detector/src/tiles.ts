import type { Region } from './letterbox.js'

export interface TilingOptions {
  /** Side of the finest tiles in source pixels; each coarser level doubles it. */
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
 * The tiles of every level of the pyramid: tiles of `size`, `2·size`, `4·size`, … source pixels,
 * each level with the same overlap fraction, up to the last level whose tiles are still smaller
 * than the image (the full-image pass is the level above). A face is whole in some tile of the
 * first level whose overlap is at least its size, and there it spans more than half that overlap
 * in model pixels (≥ 80 px at 640 input and 25 % overlap): every face size the pixel limit allows
 * is seen whole, at a scale the model finds easily, by some view. The finest level keeps faces
 * of ~20 px findable. Cost: about 1⅓ × the finest level's tiles (64 MP: ~150 model runs).
 */
export function tilePyramid (width: number, height: number, options: TilingOptions): Region[] {
  const longer = Math.max(width, height)
  if (longer <= options.above) return []
  const tiles: Region[] = []
  for (let size = options.size; size < longer; size *= 2) tiles.push(...tileGrid(width, height, { ...options, size, above: 0 }))
  return tiles
}

/** A tile edge that is not also the image's edge: a line along which faces may be cut. */
export interface InnerEdge { axis: 'x' | 'y', at: number }

/** The inner edges of `tile` that a box found in it touches (within `margin` pixels). */
export function innerEdgesTouched (box: readonly [number, number, number, number], tile: Region, imageWidth: number, imageHeight: number, margin = 2): InnerEdge[] {
  const [x1, y1, x2, y2] = box
  const right = tile.left + tile.width
  const bottom = tile.top + tile.height
  const edges: InnerEdge[] = []
  if (tile.left > 0 && x1 <= tile.left + margin) edges.push({ axis: 'x', at: tile.left })
  if (right < imageWidth && x2 >= right - margin) edges.push({ axis: 'x', at: right })
  if (tile.top > 0 && y1 <= tile.top + margin) edges.push({ axis: 'y', at: tile.top })
  if (bottom < imageHeight && y2 >= bottom - margin) edges.push({ axis: 'y', at: bottom })
  return edges
}

/**
 * Whether a box found in `tile` touches one of the tile's inner edges: the face may be cut there,
 * and is usually whole in another view.
 */
export const touchesInnerEdge = (box: readonly [number, number, number, number], tile: Region, imageWidth: number, imageHeight: number, margin = 2): boolean =>
  innerEdgesTouched(box, tile, imageWidth, imageHeight, margin).length > 0
