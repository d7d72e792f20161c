import type { InputSize, Model } from './onnx-session.js'

/** The largest batch a setting can ask for (`FACEBLUR_BATCH_MAX`), and a batch-open file's limit. */
export const MAX_BATCH = 64

interface Waiting {
  rgb: Uint8Array
  alone: boolean
  shape: InputSize
  resolve: (outputs: Float32Array[]) => void
  reject: (err: unknown) => void
}

/**
 * Takes the next batch off `queue`: the oldest waiting input and, behind it, up to `max - 1` more
 * of the same shape (a batch is one tensor). The rest keep their order.
 */
export function takeBatch<T extends { shape: InputSize }> (queue: T[], max: number): T[] {
  const head = queue[0]
  if (head === undefined) return []
  const batch: T[] = []
  for (let i = 0; i < queue.length && batch.length < max;) {
    const { width, height } = queue[i]!.shape
    if (width === head.shape.width && height === head.shape.height) batch.push(...queue.splice(i, 1))
    else i++
  }
  return batch
}

/**
 * Inputs waiting at once go through one model run. Runs are limited to the model's lanes, so while
 * every lane is busy the inputs queue here; a lane that frees takes the oldest and up to `maxBatch - 1`
 * more of its shape. No timer: an input never waits for company, so a lone one runs as before.
 * Callers see `maxBatch` times the lanes, the inputs worth keeping in flight to fill the batches.
 * On CPU a batch measured no cheaper per input than single runs (docs/benchmarks.md), so the service
 * batches only on CUDA by default, where it is unverified (README, "Docker and GPU").
 */
export function batching (model: Model, maxBatch: number): Model {
  if (maxBatch <= 1) return model
  const queue: Waiting[] = []
  let running = 0
  function pump (): void {
    while (running < model.lanes && queue.length > 0) {
      const batch = takeBatch(queue, maxBatch)
      const { shape } = batch[0]!
      const run = batch.length === 1
        ? model.infer(batch[0]!.rgb, batch[0]!.alone, shape).then((outputs) => [outputs])
        : model.inferBatch(batch.map((w) => w.rgb), shape)
      running++
      run.then(
        (outputs) => { batch.forEach((w, i) => { w.resolve(outputs[i]!) }) },
        (err: unknown) => { batch.forEach((w) => { w.reject(err) }) }
      ).finally(() => {
        running--
        pump()
      })
    }
  }
  return {
    ...model,
    lanes: model.lanes * maxBatch,
    maxBatch,
    infer: async (rgb, alone = false, shape = { width: model.inputSize, height: model.inputSize }) => await new Promise((resolve, reject) => {
      queue.push({ rgb, alone, shape, resolve, reject })
      pump()
    })
  }
}

/**
 * The batch the service runs: `setting` when given (at most what the model file takes), else 8 on
 * CUDA and 1 on CPU.
 */
export function batchSize (setting: number, provider: Model['provider'], fileMax: number): number {
  const wanted = setting > 0 ? setting : provider === 'cuda' ? 8 : 1
  return Math.max(1, Math.min(wanted, fileMax))
}
