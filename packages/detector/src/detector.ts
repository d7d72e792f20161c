import type { Face, ImageSize, ModelInfo } from '@faceblur/contracts'
import pMap from 'p-map'
import { prepareFrameViews, prepareViews, type InputShape, type View } from './image.js'
import type { Model } from './onnx-session.js'
import { finalize, keepUncoveredCuts, toSource, type Candidate, type CutCandidate } from './postprocess.js'
import { innerEdgesTouched, type TilingOptions } from './tiles.js'

export interface Detection { image: ImageSize, faces: Face[], /** model runs it took (1 + tiles) */ views: number }

export interface DetectorOptions {
  confidence: number
  iou: number
  maxPixels: number
  /** Tiled inference for large images; undefined turns it off. */
  tiling?: TilingOptions
}

export interface Detector {
  readonly model: ModelInfo
  /** Model runs that make progress at once (the model's lanes): inputs worth keeping in flight. */
  readonly lanes: number
  /** `signal` stops the work between model runs (a task past its deadline). */
  detect: (encoded: Buffer, signal?: AbortSignal) => Promise<Detection>
  /** The same for one decoded upright RGB frame of a video. */
  detectFrame: (frame: { rgb: Buffer, width: number, height: number }, signal?: AbortSignal) => Promise<Detection>
  /**
   * The scale at which frames of this size are worth decoding: 1 when they will be tiled (faces
   * need every pixel), else the one pass's own scale (the letterbox shrinks them to the model's
   * input anyway), so a decoder can hand over 9× fewer bytes of a 1080p frame.
   */
  frameScale: (width: number, height: number) => number
}

/**
 * Detection as a recipe: decode → letterbox (whole image, and a pyramid of tiles when large) →
 * run → decode outputs → map back → merge across views (a face cut by a tile edge counts only
 * where no view holds it whole) → NMS. Several detections may be in flight at once: their
 * decoding overlaps the model runs, and the views of one image keep every lane of the model busy.
 */
export function createDetector (session: Model, modelName: string, options: DetectorOptions): Detector {
  const size = session.inputSize
  const shape: InputShape = (width, height) => session.family.inputShape(width, height, size)
  let inFlight = 0 // detections under way: decoding, or waiting for the model
  async function detect (prepared: Promise<View[]>, signal: AbortSignal | undefined): Promise<Detection> {
    inFlight++
    try {
      return await detectViews(await prepared, signal)
    } finally {
      inFlight--
    }
  }
  async function detectViews (views: View[], signal: AbortSignal | undefined): Promise<Detection> {
    const { width, height } = views[0]!.geometry
    const whole: Candidate[] = []
    const cut: CutCandidate[] = []
    const alone = inFlight === 1 && views.length === 1
    // At most `lanes` runs at once, results in the views' order; the first failure stops the rest.
    const outputs = await pMap(views, async (view) => {
      signal?.throwIfAborted() // between runs: a tiled image past its deadline stops here
      return await session.infer(view.rgb, alone, { width: view.geometry.inputWidth, height: view.geometry.inputHeight })
    }, { concurrency: session.lanes })
    for (const [i, view] of views.entries()) {
      const output = outputs[i]!
      const offset = view.tile ?? { left: 0, top: 0 }
      for (const c of session.family.decode(output, view.geometry.inputWidth, view.geometry.inputHeight, options.confidence)) {
        const s = toSource(c, view.geometry, offset)
        // "Touching" within 4 model pixels: at a coarse level that is tens of source pixels.
        const edges = view.tile === undefined ? [] : innerEdgesTouched([s.x1, s.y1, s.x2, s.y2], view.tile, width, height, 4 / view.geometry.scale)
        if (edges.length === 0) whole.push(s)
        else cut.push({ candidate: s, edges })
      }
    }
    const candidates = [...whole, ...keepUncoveredCuts(cut, whole)]
    return { image: { width, height }, faces: finalize(candidates, options.iou, width, height), views: views.length }
  }
  return {
    model: { name: modelName, licence: session.family.licence, sha256: session.sha256, provider: session.provider },
    lanes: session.lanes,
    detect: async (encoded, signal) => await detect(prepareViews(encoded, shape, options.maxPixels, options.tiling), signal),
    detectFrame: async ({ rgb, width, height }, signal) => await detect(prepareFrameViews(rgb, width, height, shape, options.tiling), signal),
    frameScale: (width, height) => {
      const longer = Math.max(width, height)
      const tiled = options.tiling !== undefined && longer > options.tiling.above
      return tiled ? 1 : Math.min(1, size / longer)
    }
  }
}

