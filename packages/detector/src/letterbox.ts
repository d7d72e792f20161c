/** A rectangle of the upright source image, in pixels. */
export interface Region { left: number, top: number, width: number, height: number }

/** Where an image of `width`×`height` lands inside a model input of `inputWidth`×`inputHeight` pixels. */
export interface Letterbox {
  /** Upright source size. */
  width: number
  height: number
  /** Model input size. */
  inputWidth: number
  inputHeight: number
  /** Source pixels → input pixels. */
  scale: number
  /** Resized image inside the input, before padding. */
  resizedWidth: number
  resizedHeight: number
  /** Padding on the left and top (the rest goes right and bottom). */
  padX: number
  padY: number
}

/** Keeps the aspect ratio and centres the image, as Ultralytics' letterbox does (square by default). */
export function letterbox (width: number, height: number, inputWidth: number, inputHeight = inputWidth): Letterbox {
  const scale = Math.min(inputWidth / width, inputHeight / height)
  const resizedWidth = Math.max(1, Math.round(width * scale))
  const resizedHeight = Math.max(1, Math.round(height * scale))
  return {
    width,
    height,
    inputWidth,
    inputHeight,
    scale,
    resizedWidth,
    resizedHeight,
    padX: Math.floor((inputWidth - resizedWidth) / 2),
    padY: Math.floor((inputHeight - resizedHeight) / 2)
  }
}

/** Each byte's value in 0..1, as `byte / 255` gives it: a lookup is cheaper than the division. */
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255)

/**
 * Interleaved RGB bytes (HWC) → planar float32 in 0..1 (CHW), the layout the model takes.
 * One pass with precomputed plane offsets: this runs once per model input on the hot path.
 */
export function toChwFloat (rgb: Uint8Array, width: number, height: number, out: Float32Array = new Float32Array(3 * width * height)): Float32Array {
  const plane = width * height
  if (rgb.length !== 3 * plane) throw new RangeError(`expected ${width}×${height} RGB bytes (${3 * plane}), got ${rgb.length}`)
  for (let i = 0, p = 0; p < plane; p++, i += 3) {
    out[p] = UNIT[rgb[i]!]!
    out[p + plane] = UNIT[rgb[i + 1]!]!
    out[p + 2 * plane] = UNIT[rgb[i + 2]!]!
  }
  return out
}
