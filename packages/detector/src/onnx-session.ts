// The one file that imports onnxruntime-node.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import ort from 'onnxruntime-node'
import { MAX_BATCH } from './batching.js'
import { yolov8Face, type FaceModel } from './models/index.js'

export type ProviderChoice = 'auto' | 'cpu' | 'cuda'

/** What the detector needs of a loaded model, wherever it runs. */
export interface Model {
  readonly provider: 'cpu' | 'cuda'
  readonly sha256: string
  /** The model's family: its input layout and its decode. */
  readonly family: FaceModel
  /** Model input side in pixels (square). */
  readonly inputSize: number
  /** Model runs that make progress at once: a caller with several inputs keeps this many in flight. */
  readonly lanes: number
  /**
   * Runs the model on one letterboxed input: interleaved RGB bytes of `shape` (the family's
   * inputShape; `inputSize` square when left out); the raw outputs in the order the family decodes
   * them. `alone`: the caller has nothing else for the model (one image, one view), so this run
   * may take every core.
   */
  infer: (rgb: Uint8Array, alone?: boolean, shape?: InputSize) => Promise<Float32Array[]>
  /** The most inputs one run takes: 1 when the file fixes its batch at one (YOLOv8n-face's export). */
  readonly maxBatch: number
  /** Several inputs of one shape in one run (at most `maxBatch`); each input's outputs, in order. */
  inferBatch: (rgbs: readonly Uint8Array[], shape: InputSize) => Promise<Float32Array[][]>
  release: () => Promise<void>
}

export interface InputSize { width: number, height: number }

/** A model loaded in this thread: `run` takes a ready tensor (the raw-speed yardstick's path). */
export interface ModelSession extends Model {
  /** The family's input tensor data of `shape` (`inputSize` square when left out). */
  run: (input: Float32Array, shape?: InputSize) => Promise<Float32Array[]>
  /** `count` inputs' tensor data of `shape`, one after another in `input`: each input's outputs. */
  runBatch: (input: Float32Array, shape: InputSize, count: number) => Promise<Float32Array[][]>
}

/** A run's outputs over `count` inputs → each input's own outputs (views into them, not copies). */
export function splitBatch (outputs: readonly Float32Array[], count: number): Float32Array[][] {
  return Array.from({ length: count }, (_, i) => outputs.map((o) => {
    const n = o.length / count
    return o.subarray(i * n, (i + 1) * n)
  }))
}

/** The family's input tensor data of several inputs of one shape, one after another. */
export function toBatchInput (family: FaceModel, rgbs: readonly Uint8Array[], { width, height }: InputSize, out?: Float32Array): Float32Array {
  const one = 3 * width * height
  const input = out !== undefined && out.length === one * rgbs.length ? out : new Float32Array(one * rgbs.length)
  rgbs.forEach((rgb, i) => family.toInput(rgb, width, height, input.subarray(i * one, (i + 1) * one)))
  return input
}

/** The most inputs a run of this session takes: its input's first dimension, unless the file leaves it open. */
function batchLimit (session: ort.InferenceSession): number {
  const input = session.inputMetadata[0]
  const first = input?.isTensor === true ? input.shape?.[0] : undefined
  return typeof first === 'number' ? first : MAX_BATCH
}

/**
 * Whether onnxruntime-node has the CUDA provider library beside its binding. Its install script
 * fetches it (see the README's GPU section); without it, `auto` goes straight to CPU rather than
 * letting onnxruntime print a load failure on every start.
 */
export function cudaProviderInstalled (): boolean {
  const root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'))
  const bin = join(root, 'bin')
  if (!existsSync(bin)) return false
  return readdirSync(bin).some((napi) =>
    existsSync(join(bin, napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so')))
}

async function create (bytes: Uint8Array, provider: 'cpu' | 'cuda', threads: number, spinning: boolean): Promise<ort.InferenceSession> {
  return await ort.InferenceSession.create(bytes, {
    executionProviders: provider === 'cuda' ? [{ name: 'cuda' }, 'cpu'] : ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true, // the allocation plan is reused while the input shape stays the same
    // Spinning intra-op threads are onnxruntime's default and its fastest on an idle machine; on a
    // busy one they burn cores other work needs. One thread has no pool to spin.
    extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } }
  })
}

/**
 * Loads the model in this thread, on CUDA when asked or when `auto` finds it usable, else on CPU.
 * onnxruntime-node runs `session.run` synchronously on the calling thread (its promise only
 * defers the call), so on CPU this blocks the event loop for each run: the detector service runs
 * its CPU model in worker threads instead (`model-pool.ts`).
 */
export interface OpenOptions {
  /** Intra-op threads (one per core by default). */
  threads?: number
  onFallback?: (reason: string) => void
  /** Whether idle intra-op threads spin (onnxruntime's default; see create). */
  spinning?: boolean
  family?: FaceModel
}

export async function openModel (path: string, choice: ProviderChoice, { threads = cpus().length, onFallback, spinning = true, family = yolov8Face }: OpenOptions = {}): Promise<ModelSession> {
  const bytes = await readFile(path)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  let session: ort.InferenceSession | undefined
  let provider: 'cpu' | 'cuda' = 'cpu'
  if (choice === 'auto' && !cudaProviderInstalled()) onFallback?.('no CUDA provider library installed beside onnxruntime-node')
  else if (choice !== 'cpu') {
    try {
      session = await create(bytes, 'cuda', threads, spinning)
      provider = 'cuda'
    } catch (err) {
      if (choice === 'cuda') throw new Error(`CUDA execution provider requested but unavailable: ${(err as Error).message}`)
      onFallback?.((err as Error).message.split('\n')[0] ?? 'unknown')
    }
  }
  session ??= await create(bytes, 'cpu', threads, spinning)
  const layout = family.layout(session)
  const s = session
  const squareInput = { width: layout.size, height: layout.size }
  const runBatch = async (input: Float32Array, shape: InputSize, count: number): Promise<Float32Array[][]> => {
    const result = await s.run({ [layout.input]: new ort.Tensor('float32', input, [count, 3, shape.height, shape.width]) })
    return splitBatch(layout.outputs.map((name) => result[name]!.data as Float32Array), count)
  }
  const run = async (input: Float32Array, shape: InputSize = squareInput): Promise<Float32Array[]> => (await runBatch(input, shape, 1))[0]!
  const inferBatch = async (rgbs: readonly Uint8Array[], shape: InputSize): Promise<Float32Array[][]> =>
    await runBatch(toBatchInput(family, rgbs, shape), shape, rgbs.length)
  return {
    provider,
    sha256,
    family,
    inputSize: layout.size,
    lanes: 1,
    maxBatch: batchLimit(s),
    run,
    runBatch,
    infer: async (rgb, _alone, shape = squareInput) => (await inferBatch([rgb], shape))[0]!,
    inferBatch,
    release: async () => { await s.release() }
  }
}
