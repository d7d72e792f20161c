import type { Candidate } from '../postprocess.js'

/** What a model module needs to see of a loaded session's declared inputs and outputs. */
export interface SessionLayout {
  inputNames: readonly string[]
  outputNames: readonly string[]
  inputMetadata: ReadonlyArray<{ name: string, isTensor: boolean, shape?: ReadonlyArray<number | string> }>
  outputMetadata: ReadonlyArray<{ name: string, isTensor: boolean, shape?: ReadonlyArray<number | string> }>
}

/**
 * One face-model family: everything that differs between models, and nothing else. Tiling,
 * merging, NMS, the worker pool and deadlines are shared and know no model (see detector.ts).
 */
export interface FaceModel {
  /** The family's name, as `FACEBLUR_MODEL` and the detection event give it. */
  readonly name: string
  /** The weights' licence, as the detection event, `/health` and the start-up log report it. */
  readonly licence: string
  /**
   * The score a detection needs by default (`FACEBLUR_CONFIDENCE` overrides it): low, since a
   * missed face is a leak and a blurred doll is not, but each model's scores mean their own thing.
   */
  readonly defaultConfidence: number
  /** The model's input side for a square pass when the file does not fix one. */
  readonly defaultSize: number
  /**
   * Checks the session has this family's layout, or says clearly what it has. Returns the input's
   * name, the outputs in the order `decode` takes them, and the square input side.
   */
  layout: (session: SessionLayout) => { input: string, outputs: string[], size: number }
  /**
   * The input a `width`×`height` image (or tile) is letterboxed into for a pass of side `size`:
   * `size`×`size` for a fixed-size model; the image's own aspect for one that takes any shape.
   */
  inputShape: (width: number, height: number, size: number) => { width: number, height: number }
  /** Interleaved RGB bytes of a `width`×`height` input → the tensor data the model takes (CHW). */
  toInput: (rgb: Uint8Array, width: number, height: number, out?: Float32Array) => Float32Array
  /** The raw outputs (in `layout`'s order) of a `width`×`height` input → candidates in input pixels. */
  decode: (outputs: readonly Float32Array[], width: number, height: number, confidence: number) => Candidate[]
}
