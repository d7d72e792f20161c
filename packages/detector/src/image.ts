// The one file where the detector touches sharp: decode, orient upright, letterbox into RGB.
import sharp from 'sharp'
import { FaceBlurError } from '@faceblur/contracts'
import { letterbox, type Letterbox, type Region } from './letterbox.js'
import { tilePyramid, type TilingOptions } from './tiles.js'

const LETTERBOX_GREY = { r: 114, g: 114, b: 114 } // Ultralytics' padding colour

export interface PreparedImage {
  /** Interleaved RGB, `geometry.inputWidth`×`geometry.inputHeight`. */
  rgb: Buffer
  geometry: Letterbox
}

/** The model input an image of `width`×`height` is letterboxed into (see FaceModel.inputShape). */
export type InputShape = (width: number, height: number) => { width: number, height: number }

/** A square input of `size`: YOLO's, and what a bare size means. */
export const square = (size: number): InputShape => () => ({ width: size, height: size })

const geometryFor = (width: number, height: number, shape: InputShape): Letterbox => {
  const input = shape(width, height)
  return letterbox(width, height, input.width, input.height)
}

/** One model input cut from the image: the whole image, or one tile of it. */
export interface View extends PreparedImage {
  /** The tile's place in the upright source; absent for the full-image view. */
  tile?: Region
}

/** Maps sharp's failures to coded errors: a bad image is the client's fault, never retriable. */
export function imageError (err: unknown): FaceBlurError {
  const message = (err as Error).message ?? String(err)
  if (/pixel limit/i.test(message)) return new FaceBlurError('FB_ERR_IMAGE_TOO_MANY_PIXELS', message, { cause: err })
  if (/unsupported image format|Input buffer contains unsupported/i.test(message)) return new FaceBlurError('FB_ERR_IMAGE_UNSUPPORTED', message, { cause: err })
  return new FaceBlurError('FB_ERR_IMAGE_UNDECODABLE', message, { cause: err })
}

/** Upright size of an encoded image, from its header alone (EXIF orientations 5–8 swap sides). */
export async function uprightSize (input: Buffer, maxPixels: number): Promise<{ width: number, height: number }> {
  try {
    const meta = await sharp(input, { limitInputPixels: maxPixels }).metadata()
    if (meta.width === undefined || meta.height === undefined) throw new Error('image has no dimensions')
    if (meta.width * meta.height > maxPixels) throw new Error(`Input image exceeds pixel limit (${meta.width}x${meta.height})`)
    const swap = (meta.orientation ?? 1) >= 5
    return swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height }
  } catch (err) {
    throw imageError(err)
  }
}

/** Resizes into the letterbox and pads the rest grey: the step `prepare` and tiles share. */
function letterboxed (image: sharp.Sharp, geometry: Letterbox): sharp.Sharp {
  return image
    .resize(geometry.resizedWidth, geometry.resizedHeight, { fit: 'fill', kernel: 'linear' })
    .extend({
      top: geometry.padY,
      bottom: geometry.inputHeight - geometry.resizedHeight - geometry.padY,
      left: geometry.padX,
      right: geometry.inputWidth - geometry.resizedWidth - geometry.padX,
      background: LETTERBOX_GREY
    })
}

/**
 * Decodes and letterboxes in one sharp pipeline: auto-orient first (boxes refer to the upright
 * image), resize keeping the aspect ratio, pad with grey, drop alpha, force 8-bit sRGB (grey,
 * CMYK and 16-bit inputs all come out as 3 × 8 bits).
 */
export async function prepare (input: Buffer, shape: InputShape, maxPixels: number): Promise<PreparedImage> {
  return await prepareSized(input, await uprightSize(input, maxPixels), shape, maxPixels)
}

/** `prepare` for an image whose upright size is known already (its header is read once). */
async function prepareSized (input: Buffer, { width, height }: { width: number, height: number }, shape: InputShape, maxPixels: number): Promise<PreparedImage> {
  const geometry = geometryFor(width, height, shape)
  try {
    const rgb = await letterboxed(sharp(input, { limitInputPixels: maxPixels, failOn: 'error' }).rotate(), geometry)
      .flatten({ background: LETTERBOX_GREY })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer()
    const expected = geometry.inputWidth * geometry.inputHeight * 3
    if (rgb.length !== expected) throw new Error(`decoded ${rgb.length} bytes, expected ${expected}`)
    return { rgb, geometry }
  } catch (err) {
    throw imageError(err)
  }
}

/** Letterboxes a region of an already decoded upright RGB image. */
async function cut (raw: Buffer, width: number, height: number, region: Region, shape: InputShape): Promise<PreparedImage> {
  const geometry = geometryFor(region.width, region.height, shape)
  const rgb = await letterboxed(sharp(raw, { raw: { width, height, channels: 3 } }).extract(region), geometry)
    .raw()
    .toBuffer()
  return { rgb, geometry }
}

/**
 * The model inputs for one decoded upright RGB frame (a video's): the full frame, plus tiles when
 * it is large, as for an image.
 */
export async function prepareFrameViews (raw: Buffer, width: number, height: number, shape: InputShape, tiling: TilingOptions | undefined): Promise<View[]> {
  const tiles = tiling === undefined ? [] : tilePyramid(width, height, tiling)
  const full = await cut(raw, width, height, { left: 0, top: 0, width, height }, shape)
  const cuts = await Promise.all(tiles.map(async (tile) => ({ ...(await cut(raw, width, height, tile, shape)), tile })))
  return [full, ...cuts]
}

/**
 * The model inputs for one image: the full image, plus a pyramid of overlapping tiles when it is
 * large enough for faces to shrink below what one 640 px pass can see. A small image takes the single-pipeline
 * path (sharp shrinks JPEGs while decoding); a tiled one is decoded once at full size and cut.
 */
export async function prepareViews (input: Buffer, shape: InputShape, maxPixels: number, tiling: TilingOptions | undefined): Promise<View[]> {
  const { width, height } = await uprightSize(input, maxPixels)
  const tiles = tiling === undefined ? [] : tilePyramid(width, height, tiling)
  if (tiles.length === 0) return [await prepareSized(input, { width, height }, shape, maxPixels)]
  let raw: Buffer
  try {
    raw = await sharp(input, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .flatten({ background: LETTERBOX_GREY })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer()
  } catch (err) {
    throw imageError(err)
  }
  const full = await cut(raw, width, height, { left: 0, top: 0, width, height }, shape)
  const cuts = await Promise.all(tiles.map(async (tile) => ({ ...(await cut(raw, width, height, tile, shape)), tile })))
  return [full, ...cuts]
}
