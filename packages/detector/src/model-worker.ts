// One inference worker of the pool (model-pool.ts): its own CPU session, loaded when the worker
// starts, running one model input at a time off the service's event loop.
import { workerData } from 'node:worker_threads'
import { MODELS, type ModelName } from './models/index.js'
import { openModel } from './onnx-session.js'

export interface ModelWorkerData { path: string, threads: number, model: ModelName }

const { path, threads, model } = workerData as ModelWorkerData
const family = MODELS[model]
const session = await openModel(path, 'cpu', { threads, spinning: false, family }) // see model-pool.ts: no spinning
let input = new Float32Array(0) // reused while the shape stays: a run is synchronous, so one input at a time

export interface ModelTask { rgb: Uint8Array, width: number, height: number }

/** Interleaved RGB bytes of one letterboxed input of `width`×`height` → the model's raw outputs. */
export default async function infer ({ rgb, width, height }: ModelTask): Promise<Float32Array[]> {
  if (input.length !== 3 * width * height) input = new Float32Array(3 * width * height)
  return await session.run(family.toInput(rgb, width, height, input), { width, height })
}
