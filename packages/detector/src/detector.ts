import type { Face, ImageSize, ModelInfo } from '@faceblur/contracts'
import { prepare } from './image.js'
import { toChwFloat } from './letterbox.js'
import type { ModelSession } from './onnx-session.js'
import { postprocess } from './postprocess.js'

export interface Detection { image: ImageSize, faces: Face[] }

export interface DetectorOptions {
  confidence: number
  iou: number
  maxPixels: number
}

export interface Detector {
  readonly model: ModelInfo
  detect: (encoded: Buffer) => Promise<Detection>
}

/** Detection as a recipe: decode → letterbox → run → decode outputs → NMS → map back. */
export function createDetector (session: ModelSession, modelName: string, options: DetectorOptions): Detector {
  const size = session.inputSize
  const input = new Float32Array(3 * size * size) // reused: one image at a time per session
  return {
    model: { name: modelName, sha256: session.sha256, provider: session.provider },
    async detect (encoded) {
      const { rgb, geometry } = await prepare(encoded, size, options.maxPixels)
      const output = await session.run(toChwFloat(rgb, size, size, input))
      const faces = postprocess(output, session.outputDims, geometry, options)
      return { image: { width: geometry.width, height: geometry.height }, faces }
    }
  }
}
