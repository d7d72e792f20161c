// The one file that imports onnxruntime-node.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import ort from 'onnxruntime-node'

export type ProviderChoice = 'auto' | 'cpu' | 'cuda'

export interface ModelSession {
  readonly provider: 'cpu' | 'cuda'
  readonly sha256: string
  /** Model input side in pixels (square). */
  readonly inputSize: number
  /** Output `[1, channels, anchors]`. */
  readonly outputDims: readonly number[]
  run: (chw: Float32Array) => Promise<Float32Array>
  release: () => Promise<void>
}

/** Checks the model has the one layout this detector decodes, or says clearly what it has. */
export function checkLayout (session: Pick<ort.InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'>): { input: string, output: string, size: number, dims: number[] } {
  const input = session.inputMetadata[0]
  const output = session.outputMetadata[0]
  const inShape = input !== undefined && input.isTensor ? input.shape : []
  const outShape = output !== undefined && output.isTensor ? output.shape : []
  const [, c, h, w] = inShape
  const [, channels, anchors] = outShape
  const ok = session.inputNames.length === 1 && session.outputNames.length === 1 &&
    inShape.length === 4 && c === 3 && typeof h === 'number' && h === w &&
    outShape.length === 3 && typeof channels === 'number' && channels >= 5 && typeof anchors === 'number'
  if (!ok || input === undefined || output === undefined) {
    throw new Error(`unsupported model layout: inputs ${JSON.stringify(session.inputMetadata)}, outputs ${JSON.stringify(session.outputMetadata)}; ` +
      'expected one input [1,3,S,S] and one output [1,4+classes(+landmarks),anchors] (a YOLOv8 export)')
  }
  return { input: input.name, output: output.name, size: h as number, dims: outShape as number[] }
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

async function create (bytes: Uint8Array, provider: 'cpu' | 'cuda', threads: number): Promise<ort.InferenceSession> {
  return await ort.InferenceSession.create(bytes, {
    executionProviders: provider === 'cuda' ? [{ name: 'cuda' }, 'cpu'] : ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true // fixed input shape: the allocation plan is reused on every run
    // Intra-op threads keep spinning (the default): letting them sleep cost 12% raw throughput
    // on 2 cores and freed no time for decoding the next image.
  })
}

/**
 * Loads the model on CUDA when asked or when `auto` finds it usable, else on CPU. The choice is
 * made once here and reported by the caller (logs, health, every detection event).
 */
export async function openModel (path: string, choice: ProviderChoice, threads = cpus().length, onFallback?: (reason: string) => void, parallelRuns = 1): Promise<ModelSession> {
  const bytes = await readFile(path)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  let session: ort.InferenceSession | undefined
  let provider: 'cpu' | 'cuda' = 'cpu'
  if (choice === 'auto' && !cudaProviderInstalled()) onFallback?.('no CUDA provider library installed beside onnxruntime-node')
  else if (choice !== 'cpu') {
    try {
      session = await create(bytes, 'cuda', threads)
      provider = 'cuda'
    } catch (err) {
      if (choice === 'cuda') throw new Error(`CUDA execution provider requested but unavailable: ${(err as Error).message}`)
      onFallback?.((err as Error).message.split('\n')[0] ?? 'unknown')
    }
  }
  session ??= await create(bytes, 'cpu', threads)
  const layout = checkLayout(session)
  const s = session
  // `parallelRuns` at a time (default one): with several intra-op threads, concurrent runs would
  // only fight over them while callers decode their next images; with one thread each, runs side
  // by side use the cores without spinning.
  const slots = new Semaphore(parallelRuns)
  return {
    provider,
    sha256,
    inputSize: layout.size,
    outputDims: layout.dims,
    async run (chw) {
      return await slots.use(async () => {
        const tensor = new ort.Tensor('float32', chw, [1, 3, layout.size, layout.size])
        const result = await s.run({ [layout.input]: tensor })
        return result[layout.output]!.data as Float32Array
      })
    },
    release: async () => { await s.release() }
  }
}

/** At most `size` callers inside `use` at once; the rest wait their turn in order. */
class Semaphore {
  #free: number
  readonly #waiting: Array<() => void> = []
  constructor (size: number) { this.#free = size }
  async use<T> (f: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--
    else await new Promise<void>((resolve) => this.#waiting.push(resolve))
    try {
      return await f()
    } finally {
      const next = this.#waiting.shift()
      if (next !== undefined) next()
      else this.#free++
    }
  }
}
