// The gateway's one use of sharp: read the header of an upload, never decode its pixels.
import sharp from 'sharp'
import { FaceBlurError, IMAGE_FORMATS, isImageFormat, sniffImageFormat } from '@faceblur/contracts'
import { isTruncated } from './truncation.js'

export interface CheckedImage { contentType: string, width: number, height: number }

/**
 * Identifies the upload from its bytes (not the client's content type or file name) and refuses
 * what the pipeline cannot take: not an image, an unsupported format, a file cut short, or too
 * many pixels (a decompression bomb is refused from its header, before anything decodes it).
 */
export async function checkImage (bytes: Buffer, maxPixels: number): Promise<CheckedImage> {
  if (bytes.length === 0) throw new FaceBlurError('FB_ERR_UPLOAD_EMPTY')
  let meta: sharp.Metadata
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata()
  } catch (err) {
    // A known signature whose header does not parse is a broken image, not a foreign file.
    const claimed = sniffImageFormat(bytes)
    if (claimed !== undefined) throw new FaceBlurError('FB_ERR_IMAGE_UNDECODABLE', `the ${claimed} image is corrupt or truncated (${(err as Error).message})`, { cause: err })
    throw new FaceBlurError('FB_ERR_IMAGE_UNSUPPORTED', `not an image in a supported format (${(err as Error).message})`, { cause: err })
  }
  if (!isImageFormat(meta.format)) throw new FaceBlurError('FB_ERR_IMAGE_UNSUPPORTED', `image format ${meta.format ?? 'unknown'} is not supported`)
  const contentType = IMAGE_FORMATS[meta.format].contentType
  const { width, height } = meta
  if (width === undefined || height === undefined || width < 1 || height < 1) throw new FaceBlurError('FB_ERR_IMAGE_UNDECODABLE', 'the image has no dimensions')
  if (isTruncated(bytes, meta.format ?? '')) {
    throw new FaceBlurError('FB_ERR_IMAGE_UNDECODABLE', `the ${meta.format} image is truncated (its end is missing)`)
  }
  if (width * height > maxPixels) {
    throw new FaceBlurError('FB_ERR_IMAGE_TOO_MANY_PIXELS', `the image has ${width}×${height} = ${width * height} pixels; the limit is ${maxPixels}`)
  }
  return { contentType, width, height }
}
