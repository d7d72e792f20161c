// The one file where the detector touches sharp: decode, orient upright, letterbox into RGB.
import sharp from 'sharp'
import { FaceBlurError } from '@faceblur/contracts'
import { letterbox, type Letterbox } from './letterbox.js'

const LETTERBOX_GREY = { r: 114, g: 114, b: 114 } // Ultralytics' padding colour

export interface PreparedImage {
  /** Interleaved RGB, `size`×`size`. */
  rgb: Buffer
  geometry: Letterbox
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

/**
 * Decodes and letterboxes in one sharp pipeline: auto-orient first (boxes refer to the upright
 * image), resize keeping the aspect ratio, pad with grey, drop alpha, force 8-bit sRGB (grey,
 * CMYK and 16-bit inputs all come out as 3 × 8 bits).
 */
export async function prepare (input: Buffer, size: number, maxPixels: number): Promise<PreparedImage> {
  const { width, height } = await uprightSize(input, maxPixels)
  const geometry = letterbox(width, height, size)
  try {
    const rgb = await sharp(input, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .resize(geometry.resizedWidth, geometry.resizedHeight, { fit: 'fill', kernel: 'linear' })
      .extend({
        top: geometry.padY,
        bottom: size - geometry.resizedHeight - geometry.padY,
        left: geometry.padX,
        right: size - geometry.resizedWidth - geometry.padX,
        background: LETTERBOX_GREY
      })
      .flatten({ background: LETTERBOX_GREY })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer()
    if (rgb.length !== size * size * 3) throw new Error(`decoded ${rgb.length} bytes, expected ${size * size * 3}`)
    return { rgb, geometry }
  } catch (err) {
    throw imageError(err)
  }
}
