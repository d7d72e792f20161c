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
