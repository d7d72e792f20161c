import { Type, type Static } from '@sinclair/typebox'

/**
 * The image formats the pipeline takes, by sharp's name for them: the content type, and the usual
 * file extensions (the first is canonical). The one table for the whole repository.
 */
export const IMAGE_FORMATS = {
  jpeg: { contentType: 'image/jpeg', extensions: ['.jpg', '.jpeg', '.jpe', '.jfif'] },
  png: { contentType: 'image/png', extensions: ['.png'] },
  webp: { contentType: 'image/webp', extensions: ['.webp'] },
  gif: { contentType: 'image/gif', extensions: ['.gif'] },
  tiff: { contentType: 'image/tiff', extensions: ['.tif', '.tiff'] },
  avif: { contentType: 'image/avif', extensions: ['.avif'] },
  heif: { contentType: 'image/heif', extensions: ['.heic', '.heif'] }
} as const satisfies Record<string, { contentType: string, extensions: readonly string[] }>
export type ImageFormat = keyof typeof IMAGE_FORMATS

export const isImageFormat = (name: string | undefined): name is ImageFormat => name !== undefined && Object.hasOwn(IMAGE_FORMATS, name)
export const IMAGE_CONTENT_TYPES: readonly string[] = Object.values(IMAGE_FORMATS).map((f) => f.contentType)
const ascii = (bytes: Uint8Array, start: number, end: number): string => String.fromCharCode(...bytes.subarray(start, end))

/**
 * The format an image's first bytes (12 are enough) claim, or undefined when they are no format the
 * pipeline takes: the one signature table beside the format table (the CLI judges files by it, the
 * gateway tells a corrupt image from a foreign file by it; sharp decides what an image really is).
 */
export function sniffImageFormat (bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png'
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp'
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return 'gif'
  if (bytes.length >= 4 && (ascii(bytes, 0, 4) === 'II*\0' || ascii(bytes, 0, 4) === 'MM\0*')) return 'tiff'
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12)
    if (brand === 'avif' || brand === 'avis') return 'avif'
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'heif'
  }
  return undefined
}

/** The format whose content type this is (as the gateway and the CLI record it from the bytes), if any. */
export const imageFormatOf = (contentType: string): ImageFormat | undefined =>
  (Object.keys(IMAGE_FORMATS) as ImageFormat[]).find((f) => IMAGE_FORMATS[f].contentType === contentType)

/** How a face is made unrecognisable, and the shape of the region. */
export const BLUR_MODES = ['gaussian', 'pixelate', 'solid'] as const
export const BLUR_SHAPES = ['ellipse', 'rectangle'] as const
export const BlurMode = Type.Union(BLUR_MODES.map((m) => Type.Literal(m)))
export type BlurMode = Static<typeof BlurMode>
export const BlurShape = Type.Union(BLUR_SHAPES.map((s) => Type.Literal(s)))
export type BlurShape = Static<typeof BlurShape>

/** Per-task blur options (`/blur_faces` query, `submitted` events); the blurrer's configuration supplies what is left out. */
export const BlurOptions = Type.Object({
  mode: Type.Optional(Type.Union(BlurMode.anyOf, { description: 'default: the blurrer\'s FACEBLUR_BLUR_MODE (gaussian)' })),
  shape: Type.Optional(Type.Union(BlurShape.anyOf, { description: 'default: the blurrer\'s FACEBLUR_BLUR_SHAPE (ellipse)' })),
  padding: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'fraction of the box added on every side; default: FACEBLUR_BLUR_PADDING (0.2)' }))
}, { additionalProperties: false })
export type BlurOptions = Static<typeof BlurOptions>

/** `/blur_video` options beyond the blur's; the `video` stage's configuration supplies what is left out. */
export const VideoOptions = Type.Object({
  keep_audio: Type.Optional(Type.Boolean({ description: 'copy the audio into the result (default true)' }))
}, { additionalProperties: false })
export type VideoOptions = Static<typeof VideoOptions>

/** The video containers the pipeline takes, judged from the bytes; the result is always MP4 (H.264). */
export const VIDEO_CONTAINERS = {
  mp4: { contentType: 'video/mp4', extensions: ['.mp4', '.m4v'] },
  mov: { contentType: 'video/quicktime', extensions: ['.mov'] },
  mkv: { contentType: 'video/x-matroska', extensions: ['.mkv'] },
  webm: { contentType: 'video/webm', extensions: ['.webm'] }
} as const satisfies Record<string, { contentType: string, extensions: readonly string[] }>
export type VideoContainer = keyof typeof VIDEO_CONTAINERS
export const VIDEO_RESULT_CONTENT_TYPE = 'video/mp4'

/**
 * The container from its first bytes (64 are enough): ISO BMFF's `ftyp` box (QuickTime's brand is
 * `qt  `), or Matroska's EBML header (WebM names itself in the DocType). Undefined for anything else.
 */
export function sniffVideoContainer (head: Uint8Array): VideoContainer | undefined {
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 64)).toString('latin1')
  if (text.slice(4, 8) === 'ftyp') return text.slice(8, 12) === 'qt  ' ? 'mov' : 'mp4'
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    return text.includes('webm') ? 'webm' : 'mkv'
  }
  return undefined
}
