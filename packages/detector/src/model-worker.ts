// One inference worker of the pool (model-pool.ts): its own CPU session, loaded when the worker
// starts, running one model input at a time off the service's event loop.
import { workerData } from 'node:worker_threads'
import { MODELS, type ModelName } from './models/index.js'
import { openModel } from './onnx-session.js'

export interface ModelWorkerData { path: string, threads: number, model: ModelName }

const { path, threads, model } = workerData as ModelWorkerData
const family = MODELS[model]
const session = await openModel(path, 'cpu', { threads, spinning: false, family }) // see model-pool.ts: no spinning
const size = session.inputSize
const input = new Float32Array(3 * size * size) // reused: a run is synchronous, so one input at a time

/** Interleaved RGB bytes of one letterboxed input → the model's raw outputs. */
export default async function infer (rgb: Uint8Array): Promise<Float32Array[]> {
  return await session.run(family.toInput(rgb, size, size, input))
}
