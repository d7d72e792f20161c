// YOLOv8n-face (the original service's model): one input [1, 3, S, S] RGB in 0..1, letterboxed;
// one output [1, 4 + classes (+ landmarks), anchors]. GPL-3.0 (npm package) / AGPL-3.0 (Ultralytics).
import { toChwFloat } from '../letterbox.js'
import { decodeYolov8 } from '../postprocess.js'
import type { FaceModel } from './face-model.js'

/** Anchors of a YOLOv8 head at input side `size`: one per cell of the stride 8, 16 and 32 grids. */
const anchorsAt = (size: number): number => [8, 16, 32].reduce((n, s) => n + (size / s) ** 2, 0)

export const yolov8Face: FaceModel = {
  name: 'yolov8n-face',
  licence: 'GPL-3.0 (npm package) / AGPL-3.0 (Ultralytics export)',
  defaultConfidence: 0.25,
  defaultSize: 640,
  layout (session) {
    const input = session.inputMetadata[0]
    const output = session.outputMetadata[0]
    const inShape = input?.isTensor === true ? input.shape ?? [] : []
    const outShape = output?.isTensor === true ? output.shape ?? [] : []
    const [, c, h, w] = inShape
    const [, channels, anchors] = outShape
    const ok = session.inputNames.length === 1 && session.outputNames.length === 1 &&
      inShape.length === 4 && c === 3 && typeof h === 'number' && h === w &&
      outShape.length === 3 && typeof channels === 'number' && channels >= 5 && typeof anchors === 'number'
    if (!ok || input === undefined || output === undefined) {
      throw new Error(`unsupported model layout: inputs ${JSON.stringify(session.inputMetadata)}, outputs ${JSON.stringify(session.outputMetadata)}; ` +
        'expected one input [1,3,S,S] and one output [1,4+classes(+landmarks),anchors] (a YOLOv8 export)')
    }
    return { input: input.name, outputs: [output.name], size: h as number }
  },
  inputShape: (_width, _height, size) => ({ width: size, height: size }),
  toInput: (rgb, width, height, out) => toChwFloat(rgb, width, height, out),
  decode (outputs, width, height, confidence) {
    const output = outputs[0]!
    if (width !== height) throw new RangeError(`YOLOv8n-face takes a square input, not ${width}×${height}`)
    const anchors = anchorsAt(width)
    return decodeYolov8(output, output.length / anchors, anchors, confidence)
  }
}
