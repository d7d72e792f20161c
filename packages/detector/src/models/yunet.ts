// YuNet-n (Shiqi Yu's libfacedetection.train, Apache-2.0): one input [N, 3, H, W] of any H and W
// that are multiples of 32, BGR in 0..255, no normalisation; per stride s of 8, 16 and 32 the
// outputs cls_s and obj_s [1, cells, 1] and bbox_s [1, cells, 4], cells row-major over the grid.
// Decoded as OpenCV's FaceDetectorYN does (its landmark outputs, kps_s, are not read).
import type { Candidate } from '../postprocess.js'
import type { FaceModel } from './face-model.js'

const STRIDES = [8, 16, 32] as const
const HEADS = ['cls', 'obj', 'bbox'] as const

/** Interleaved RGB bytes → planar BGR floats in 0..255, the layout YuNet takes. */
export function toBgrPlanes (rgb: Uint8Array, width: number, height: number, out: Float32Array = new Float32Array(3 * width * height)): Float32Array {
  const plane = width * height
  if (rgb.length !== 3 * plane) throw new RangeError(`expected ${width}×${height} RGB bytes (${3 * plane}), got ${rgb.length}`)
  for (let i = 0, p = 0; p < plane; p++, i += 3) {
    out[p] = rgb[i + 2]!
    out[p + plane] = rgb[i + 1]!
    out[p + 2 * plane] = rgb[i]!
  }
  return out
}

const unit = (v: number): number => Math.min(1, Math.max(0, v))

/** One stride's heads → candidates in input pixels: score √(cls·obj), box from the cell's corner. */
export function decodeStride (cls: Float32Array, obj: Float32Array, bbox: Float32Array, stride: number, cols: number, confidence: number): Candidate[] {
  const out: Candidate[] = []
  for (let i = 0; i < cls.length; i++) {
    const score = Math.sqrt(unit(cls[i]!) * unit(obj[i]!))
    if (score < confidence) continue
    const cx = (i % cols + bbox[4 * i]!) * stride
    const cy = (Math.floor(i / cols) + bbox[4 * i + 1]!) * stride
    const w = Math.exp(bbox[4 * i + 2]!) * stride
    const h = Math.exp(bbox[4 * i + 3]!) * stride
    out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score })
  }
  return out
}

export const yunet: FaceModel = {
  name: 'yunet-n',
  licence: 'Apache-2.0',
  // OpenCV's default is 0.9; at 0.25 tiled mosaics gave a third more boxes than faces (false
  // faces); at 0.7 every face of the recall tests, one box each (test/yunet-recall.test.ts).
  defaultConfidence: 0.7,
  defaultSize: 640,
  layout (session) {
    const input = session.inputMetadata[0]
    const shape = input?.isTensor === true ? input.shape ?? [] : []
    const outputs = STRIDES.flatMap((s) => HEADS.map((h) => `${h}_${s}`))
    const missing = outputs.filter((name) => !session.outputNames.includes(name))
    if (input === undefined || session.inputNames.length !== 1 || shape.length !== 4 || shape[1] !== 3 || missing.length > 0) {
      throw new Error(`unsupported model layout: inputs ${JSON.stringify(session.inputMetadata)}, outputs ${JSON.stringify(session.outputNames)}; ` +
        `expected one input [N,3,H,W] and the outputs ${outputs.join(', ')} (a YuNet export)`)
    }
    const side = shape[2]
    return { input: input.name, outputs, size: typeof side === 'number' && side === shape[3] ? side : yunet.defaultSize }
  },
  // The image's own aspect: its longer side to the pass size, each side rounded up to 32 (a
  // 1634×1000 photo runs at 640×416, a third fewer pixels than the 640×640 letterbox).
  inputShape (width, height, size) {
    const scale = size / Math.max(width, height)
    const up = (v: number): number => Math.max(32, Math.ceil(Math.round(v * scale) / 32) * 32)
    return { width: up(width), height: up(height) }
  },
  toInput: toBgrPlanes,
  decode (outputs, width, height, confidence) {
    if (width % 32 !== 0 || height % 32 !== 0) throw new RangeError(`YuNet takes sides that are multiples of 32, not ${width}×${height}`)
    return STRIDES.flatMap((stride, k) => {
      const [cls, obj, bbox] = outputs.slice(3 * k, 3 * k + 3) as [Float32Array, Float32Array, Float32Array]
      return decodeStride(cls, obj, bbox, stride, width / stride, confidence)
    })
  }
}
