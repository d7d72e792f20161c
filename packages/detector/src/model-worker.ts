// One inference worker of the pool (model-pool.ts): its own CPU session, loaded when the worker
// starts, running one model input at a time off the service's event loop.
import { workerData } from 'node:worker_threads'
import { MODELS, type ModelName } from './models/index.js'
import { openModel, toBatchInput } from './onnx-session.js'

export interface ModelWorkerData { path: string, threads: number, model: ModelName }

const { path, threads, model } = workerData as ModelWorkerData
const family = MODELS[model]
const session = await openModel(path, 'cpu', { threads, spinning: false, family }) // see model-pool.ts: no spinning
let input: Float32Array = new Float32Array(0) // reused while the batch keeps its size: a run is synchronous, so one batch at a time

export interface ModelTask { rgbs: Uint8Array[], width: number, height: number }

/** Interleaved RGB bytes of letterboxed inputs of `width`×`height`, run as one batch → each input's raw outputs. */
export default async function infer ({ rgbs, width, height }: ModelTask): Promise<Float32Array[][]> {
  input = toBatchInput(family, rgbs, { width, height }, input)
  return await session.runBatch(input, { width, height }, rgbs.length)
}
