// End to end: N real photos through gateway → detector → blurrer at a chosen concurrency, and in
// the same run the raw rate of plain fp32 YOLOv8n-face on this machine (the yardstick the issue
// tracker uses), so the ratio pipeline/raw is visible; the CPU each process (gateway, detector,
// blurrer, Kafka, MinIO) spent per image, and how much of it was not the model's own runs; then
// lone tasks, one at a time, followed over the WebSocket.
//   npm run bench:e2e     BENCH_IMAGES=60 BENCH_CONCURRENCY=8 BENCH_LONE=20 BENCH_KIND=blur|detect BENCH_MODEL=yunet-n|fp32|int8
// BENCH_MODEL picks the model the detector service runs (YuNet-n, the default; fp32 or int8 YOLOv8n-face).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { detectorOptions, loadDetectorConfig, MODELS, openModel, prepare, prepareViews, square, toChwFloat, type ModelName } from '@faceblur/detector'
import { Client, freePort, start } from '../support/harness.js'
import { cpuMeter } from '../support/proc-cpu.js'
import { ms, percentile } from '../support/stats.js'
import { serverPid } from '../../scripts/infra.mjs'

const N = Number(process.env.BENCH_IMAGES ?? 60)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const LONE = Number(process.env.BENCH_LONE ?? 20)
const KIND = (process.env.BENCH_KIND ?? 'blur') as 'detect' | 'blur'
const MODEL = process.env.BENCH_MODEL ?? 'yunet-n'
if (MODEL !== 'yunet-n' && MODEL !== 'fp32' && MODEL !== 'int8') throw new Error('BENCH_MODEL must be yunet-n, fp32 or int8')
const root = join(import.meta.dirname, '../..')
// The cached file of each model (fetch.mjs would answer FACEBLUR_MODEL_PATH, the service's, if set).
const { FACEBLUR_MODEL_PATH: _, ...envWithoutPath } = process.env
const modelOf = (command: string): string => { const [script, ...args] = command.split(' '); return execFileSync(process.execPath, [join(root, script!), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: envWithoutPath }).toString().trim() }
const fp32Path = modelOf('models/fetch.mjs')
const serviceModel: { FACEBLUR_MODEL_PATH: string, FACEBLUR_MODEL: ModelName } = MODEL === 'int8'
  ? { FACEBLUR_MODEL_PATH: modelOf('models/int8/make.mjs'), FACEBLUR_MODEL: 'yolov8n-face-int8' }
  : MODEL === 'fp32'
    ? { FACEBLUR_MODEL_PATH: fp32Path, FACEBLUR_MODEL: 'yolov8n-face' }
    : { FACEBLUR_MODEL_PATH: modelOf('models/fetch.mjs yunet-n'), FACEBLUR_MODEL: 'yunet-n' }

const photos = [readFileSync(join(root, '../shared/fixtures/seed_test.jpg')), readFileSync(join(root, 'e2e/fixtures/astronaut.png'))]
const lonePhoto = photos[0]! // the 1.6 MP fixture (1634×1000 JPEG)
const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }

// The yardstick, alone on the machine: plain fp32 YOLOv8n-face's session.run on ready tensors.
async function rawYoloRate (): Promise<number> {
  const session = await openModel(fp32Path, 'auto')
  const tensors = await Promise.all(photos.map(async (p) => toChwFloat((await prepare(p, square(640), 64e6)).rgb, 640, 640)))
  for (let i = 0; i < 5; i++) await session.run(tensors[i % tensors.length]!)
  const runs = 40
  const t0 = performance.now()
  for (let i = 0; i < runs; i++) await session.run(tensors[i % tensors.length]!)
  await session.release()
  return runs / ((performance.now() - t0) / 1000)
}

/**
 * The CPU the service's own model spends on one image, averaged over the photos as the load sends
 * them: the same views the detector cuts (its configuration, its shapes, its tiles), each run on
 * one thread without spinning, as the service's pool workers run them under load.
 */
async function modelCpuPerImage (): Promise<{ ms: number, views: number }> {
  const config = loadDetectorConfig({ ...serviceModel })
  const options = detectorOptions(config)
  const family = MODELS[serviceModel.FACEBLUR_MODEL]
  const session = await openModel(serviceModel.FACEBLUR_MODEL_PATH, 'cpu', { threads: 1, spinning: false, family })
  const shape = (w: number, h: number): { width: number, height: number } => family.inputShape(w, h, session.inputSize)
  const perPhoto = await Promise.all(photos.map(async (p) => await prepareViews(p, shape, options.maxPixels, options.tiling)))
  let spent = 0
  const repeats = 10
  for (const views of perPhoto) {
    for (const view of views) {
      const input = { width: view.geometry.inputWidth, height: view.geometry.inputHeight }
      await session.infer(view.rgb, false, input) // warm this shape
      const c0 = cpuNow()
      for (let i = 0; i < repeats; i++) await session.infer(view.rgb, false, input)
      spent += (cpuNow() - c0) / repeats
    }
  }
  await session.release()
  return { ms: spent / photos.length, views: perPhoto.reduce((n, v) => n + v.length, 0) / photos.length }
}

const rawRate = await rawYoloRate()
const modelCpu = await modelCpuPerImage()

const port = freePort()
const services = await Promise.all([start('gateway', { PORT: String(port), FACEBLUR_MAX_BACKLOG: '100000' }), start('detector', serviceModel), start('blurrer')])
const client = new Client(`http://127.0.0.1:${port}`)
await client.waitDone(await client.submitOk(KIND, photos[0]!)) // warm every stage

// Statuses over one WebSocket: the finish time is when SUCCESS arrives, not the next poll.
const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`)
await new Promise((resolve) => ws.once('open', resolve))
const finished = new Map<string, (status: string) => void>()
ws.on('message', (raw) => {
  const m = JSON.parse(raw.toString()) as { task_id?: string, status?: string }
  if (m.task_id !== undefined && (m.status === 'SUCCESS' || m.status === 'FAILURE')) finished.get(m.task_id)?.(m.status)
})
let failures = 0
/** Upload → SUCCESS (or FAILURE) as the WebSocket tells it, in ms. */
async function oneTask (photo: Buffer): Promise<number> {
  const s = performance.now()
  const id = await client.submitOk(KIND, photo)
  const status = await new Promise<string>((resolve) => {
    finished.set(id, resolve)
    ws.send(JSON.stringify({ subscribe: [id] }))
  })
  finished.delete(id)
  if (status !== 'SUCCESS') failures++
  return performance.now() - s
}

// Under load: CONCURRENCY clients, each sending its next photo when the last one is done.
const latencies: number[] = []
let next = 0
const [gateway, detector, blurrer] = services.map((s) => s.child.pid)
const cpu = cpuMeter({ gateway, detector, blurrer, kafka: serverPid('kafka'), minio: serverPid('minio') })
const client0 = process.cpuUsage()
const t0 = performance.now()
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (next < N) latencies.push(await oneTask(photos[next++ % photos.length]!))
}))
const wall = (performance.now() - t0) / 1000
const spent = cpu.stop()
const clientCpu = process.cpuUsage(client0)

// Alone: one task at a time, the 1.6 MP photo.
const lone: number[] = []
for (let i = 0; i < LONE; i++) lone.push(await oneTask(lonePhoto))
ws.close()
await Promise.all(services.map((s) => s.stop()))

const rate = N / wall
const perImage = Object.entries(spent).map(([name, msTotal]) => [name, msTotal / N] as const)
const total = perImage.reduce((sum, [, v]) => sum + (Number.isNaN(v) ? 0 : v), 0)
const fmt = (v: number): string => Number.isNaN(v) ? 'n/a (not local)' : v.toFixed(0)
console.log(`pipeline benchmark: ${N} ${KIND} tasks of real photos (1634×1000 JPEG and 512×512 PNG), concurrency ${CONCURRENCY}, one process per stage, model ${serviceModel.FACEBLUR_MODEL}`)
console.log(`pipeline                           ${rate.toFixed(2)} images/s   upload→SUCCESS p50 ${ms(percentile(latencies, 0.5))}  p95 ${ms(percentile(latencies, 0.95))}  p99 ${ms(percentile(latencies, 0.99))}   failures ${failures}`)
console.log(`raw yolov8n-face fp32              ${rawRate.toFixed(2)} images/s (session.run on ready 640×640 tensors, every core, alone)`)
console.log(`pipeline / raw yolov8n-face fp32   ${(rate / rawRate * 100).toFixed(1)} %`)
console.log(`CPU ms per image                   ${perImage.map(([name, v]) => `${name} ${fmt(v)}`).join('  ')}  all ${total.toFixed(0)}`)
console.log(`model runs' own CPU                ${modelCpu.ms.toFixed(0)} CPU ms per image (${modelCpu.views.toFixed(1)} runs per image, one thread each, measured alone)`)
console.log(`outside the model                  ${(total - modelCpu.ms).toFixed(0)} CPU ms per image (gateway, stages, Kafka, MinIO, minus the model's runs)`)
// The load generator shares the machine: what it spends is not the service's, but the service cannot have it.
console.log(`load generator                     ${((clientCpu.user + clientCpu.system) / 1000 / N).toFixed(0)} CPU ms per image (this process: uploads and the WebSocket)`)
console.log(`lone task (1634×1000 JPEG)         upload→${KIND} SUCCESS over the WebSocket p50 ${ms(percentile(lone, 0.5))}  p95 ${ms(percentile(lone, 0.95))}  (${LONE} tasks, one at a time)`)
