import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { ModelWorkerData } from './model-worker.js'
import { cudaProviderInstalled, openModel, type Model, type ProviderChoice } from './onnx-session.js'

export interface PoolOptions {
  /** Inference workers, each with its own session (0 = one per core). */
  workers: number
  /** onnxruntime intra-op threads per worker. */
  threads: number
}

// Run from source (tests, benches under tsx), the worker is the .ts file beside this one.
const workerFile = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './model-worker.ts' : './model-worker.js', import.meta.url))

/**
 * The model on CPU in a pool of worker threads, one session each. onnxruntime-node runs a session
 * synchronously on its caller's thread, so in the service's own thread every run would stall
 * Kafka, MinIO and the next image's decoding, and two runs could never overlap. Here each worker
 * runs one input at a time with its own thread(s); nothing spins while it waits.
 */
export async function openModelPool (path: string, options: PoolOptions): Promise<Model> {
  // Loaded once here too: a wrong layout or a missing file fails at start-up, in this thread.
  const probe = await openModel(path, 'cpu', 1)
  const { sha256, inputSize, outputDims } = probe
  await probe.release()
  const workers = options.workers === 0 ? cpus().length : options.workers
  const pool = new Piscina<Uint8Array, Float32Array>({
    filename: workerFile,
    workerData: { path, threads: options.threads } satisfies ModelWorkerData,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: Infinity, // each worker holds a loaded model
    concurrentTasksPerWorker: 1
  })
  return {
    provider: 'cpu',
    sha256,
    inputSize,
    outputDims,
    lanes: workers,
    infer: async (rgb) => await pool.run(rgb),
    release: async () => { await pool.destroy() }
  }
}

/**
 * The detector service's model: CUDA in this thread when asked or when `auto` finds it usable
 * (the GPU runs it, the thread only waits), else the CPU pool.
 */
export async function loadModel (path: string, choice: ProviderChoice, pool: PoolOptions, onFallback?: (reason: string) => void): Promise<Model> {
  if (choice === 'auto' && !cudaProviderInstalled()) onFallback?.('no CUDA provider library installed beside onnxruntime-node')
  else if (choice !== 'cpu') {
    const session = await openModel(path, choice, pool.threads, onFallback)
    if (session.provider === 'cuda') return session
    await session.release()
  }
  return await openModelPool(path, pool)
}
