import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { ModelTask, ModelWorkerData } from './model-worker.js'
import { MODELS, type ModelName } from './models/index.js'
import { cudaProviderInstalled, openModel, type InputSize, type Model, type ProviderChoice } from './onnx-session.js'

export interface PoolOptions {
  /** Inference workers, each with its own session (0 = one per core). */
  workers: number
  /** onnxruntime intra-op threads per worker. */
  threads: number
  /**
   * Threads of the solo worker, which takes a run its caller calls alone, so a lone request gets
   * every core (0 = one per core; 1 = no solo worker).
   */
  soloThreads: number
}

// Run from source (tests, benches under tsx), the worker is the .ts file beside this one.
const workerFile = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './model-worker.ts' : './model-worker.js', import.meta.url))

function workers (path: string, model: ModelName, count: number, threads: number): Piscina<ModelTask, Float32Array[][]> {
  return new Piscina({
    filename: workerFile,
    workerData: { path, threads, model } satisfies ModelWorkerData,
    minThreads: count,
    maxThreads: count,
    idleTimeout: Infinity, // each worker holds a loaded model
    concurrentTasksPerWorker: 1
  })
}

/**
 * The model on CPU in worker threads, one session each. onnxruntime-node runs a session
 * synchronously on its caller's thread, so in the service's own thread every run would stall
 * Kafka, MinIO and the next image's decoding, and two runs could never overlap. Under load each
 * worker runs one input at a time on one thread (no thread pool to spin or to fight the others);
 * a run its caller calls alone (one image in the detector, one view) goes to the solo worker, whose
 * threads use every core, so a lone request is nearly as quick as onnxruntime makes it.
 */
export async function openModelPool (path: string, options: PoolOptions, model: ModelName = 'yolov8n-face'): Promise<Model> {
  // Loaded once here too: a wrong layout or a missing file fails at start-up, in this thread.
  const probe = await openModel(path, 'cpu', { threads: 1, family: MODELS[model] })
  const { sha256, inputSize, family, maxBatch } = probe
  await probe.release()
  const cores = cpus().length
  const lanes = options.workers === 0 ? cores : options.workers
  const soloThreads = options.soloThreads === 0 ? cores : options.soloThreads
  // No worker's threads spin: they would hold cores the others need (for the solo worker, spinning
  // measured no quicker a lone request here and cost 20 CPU ms an image).
  const pool = workers(path, model, lanes, options.threads)
  const solo = soloThreads > options.threads ? workers(path, model, 1, soloThreads) : undefined
  let running = 0
  const runOn = async (target: Piscina<ModelTask, Float32Array[][]>, rgbs: Uint8Array[], shape: InputSize): Promise<Float32Array[][]> => {
    running++
    try {
      return await target.run({ rgbs, ...shape })
    } finally {
      running--
    }
  }
  return {
    provider: 'cpu',
    sha256,
    family,
    inputSize,
    lanes,
    maxBatch,
    async infer (rgb, alone = false, shape = { width: inputSize, height: inputSize }) {
      // Alone by the caller's word and in fact: a two-thread run beside the one-thread workers'
      // would cost throughput (measured 10-15 % when any idle moment counted as alone).
      return (await runOn(solo !== undefined && alone && running === 0 ? solo : pool, [rgb], shape))[0]!
    },
    // Several inputs waiting at once: never alone, so the one-thread workers take them.
    inferBatch: async (rgbs, shape) => await runOn(pool, [...rgbs], shape),
    release: async () => { await Promise.all([pool.destroy(), solo?.destroy()]) }
  }
}

/**
 * The detector service's model: CUDA in this thread when asked or when `auto` finds it usable
 * (the GPU runs it, the thread only waits), else the CPU pool.
 */
export async function loadModel (path: string, model: ModelName, choice: ProviderChoice, pool: PoolOptions, onFallback?: (reason: string) => void): Promise<Model> {
  if (choice === 'auto' && !cudaProviderInstalled()) onFallback?.('no CUDA provider library installed beside onnxruntime-node')
  else if (choice !== 'cpu') {
    const session = await openModel(path, choice, { threads: pool.threads, onFallback, family: MODELS[model] })
    if (session.provider === 'cuda') return session
    await session.release()
  }
  return await openModelPool(path, pool, model)
}
