// One inference worker of the pool (model-pool.ts): its own CPU session, loaded when the worker
// starts, running one model input at a time off the service's event loop.
import { workerData } from 'node:worker_threads'
import { toChwFloat } from './letterbox.js'
import { openModel } from './onnx-session.js'

export interface ModelWorkerData { path: string, threads: number }

const { path, threads } = workerData as ModelWorkerData
const session = await openModel(path, 'cpu', threads, undefined, false) // see model-pool.ts: no spinning
const size = session.inputSize
const chw = new Float32Array(3 * size * size) // reused: a run is synchronous, so one input at a time

/** Interleaved RGB bytes of one letterboxed input → the model's raw output. */
export default async function infer (rgb: Uint8Array): Promise<Float32Array> {
  return await session.run(toChwFloat(rgb, size, size, chw))
}
