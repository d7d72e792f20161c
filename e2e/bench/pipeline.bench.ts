// End to end: N real photos through gateway → detector → blurrer at a chosen concurrency, and in
// the same run the raw model throughput on this machine, so the ratio pipeline/raw is visible,
// with the CPU each process (gateway, detector, blurrer, Kafka, MinIO) spent per image.
//   pnpm bench:e2e                 BENCH_IMAGES=60 BENCH_CONCURRENCY=8 BENCH_KIND=blur|detect BENCH_MODEL=yunet-n|fp32|int8
// The raw rate is always plain fp32 YOLOv8n-face's (the yardstick); BENCH_MODEL picks the model the
// detector service runs (YuNet-n, the default; fp32 or int8 YOLOv8n-face).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { createDetector, openModel, prepare, square, toChwFloat } from '@faceblur/detector'
import { Client, freePort, start } from '../support/harness.js'
import { cpuMeter } from '../support/proc-cpu.js'
import { ms, percentile } from '../support/stats.js'
import { serverPid } from '../../scripts/infra.mjs'

const N = Number(process.env.BENCH_IMAGES ?? 60)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8)
const KIND = (process.env.BENCH_KIND ?? 'blur') as 'detect' | 'blur'
const MODEL = process.env.BENCH_MODEL ?? 'yunet-n'
if (MODEL !== 'yunet-n' && MODEL !== 'fp32' && MODEL !== 'int8') throw new Error('BENCH_MODEL must be yunet-n, fp32 or int8')
const modelOf = (command: string): string => { const [script, ...args] = command.split(' '); return execFileSync(process.execPath, [join(root, script!), ...args], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim() }
const root = join(import.meta.dirname, '../..')
const fp32Path = modelOf('models/fetch.mjs')
const serviceModel: Record<string, string> = MODEL === 'int8'
  ? { FACEBLUR_MODEL_PATH: modelOf('models/int8/make.mjs'), FACEBLUR_MODEL: 'yolov8n-face-int8' }
  : MODEL === 'fp32'
    ? { FACEBLUR_MODEL_PATH: fp32Path, FACEBLUR_MODEL: 'yolov8n-face' }
    : { FACEBLUR_MODEL_PATH: modelOf('models/fetch.mjs yunet-n'), FACEBLUR_MODEL: 'yunet-n' }

const photos = [readFileSync(join(root, '../shared/fixtures/seed_test.jpg')), readFileSync(join(root, 'e2e/fixtures/astronaut.png'))]

// Raw model throughput first, alone on the machine.
const session = await openModel(fp32Path, 'auto')
const tensors = await Promise.all(photos.map(async (p) => toChwFloat((await prepare(p, square(640), 64e6)).rgb, 640, 640)))
for (let i = 0; i < 5; i++) await session.run(tensors[i % tensors.length]!)
const rawRuns = 40
const r0 = performance.now()
for (let i = 0; i < rawRuns; i++) await session.run(tensors[i % tensors.length]!)
const rawRate = rawRuns / ((performance.now() - r0) / 1000)
const provider = createDetector(session, 'yolov8n-face', { confidence: 0.25, iou: 0.45, maxPixels: 64e6 }).model.provider
await session.release()

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

const latencies: number[] = []
let failures = 0
let next = 0
const [gateway, detector, blurrer] = services.map((s) => s.child.pid)
const cpu = cpuMeter({ gateway, detector, blurrer, kafka: serverPid('kafka'), minio: serverPid('minio') })
const client0 = process.cpuUsage()
const t0 = performance.now()
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (next < N) {
    const photo = photos[next++ % photos.length]!
    const s = performance.now()
    const id = await client.submitOk(KIND, photo)
    const status = await new Promise<string>((resolve) => {
      finished.set(id, resolve)
      ws.send(JSON.stringify({ subscribe: [id] }))
    })
    if (status !== 'SUCCESS') failures++
    latencies.push(performance.now() - s)
  }
}))
const wall = (performance.now() - t0) / 1000
const spent = cpu.stop()
const clientCpu = process.cpuUsage(client0)
ws.close()
await Promise.all(services.map((s) => s.stop()))

const rate = N / wall
console.log(`pipeline benchmark: ${N} ${KIND} tasks of real photos (1634×1000 JPEG and 512×512 PNG), concurrency ${CONCURRENCY}, one process per stage, provider ${provider}, model ${MODEL}`)
console.log(`pipeline          ${rate.toFixed(2)} images/s   upload→SUCCESS p50 ${ms(percentile(latencies, 0.5))}  p95 ${ms(percentile(latencies, 0.95))}  p99 ${ms(percentile(latencies, 0.99))}   failures ${failures}`)
console.log(`raw model         ${rawRate.toFixed(2)} images/s (session.run on ready tensors, same machine, alone)`)
console.log(`pipeline / raw    ${(rate / rawRate * 100).toFixed(1)} %`)
const perImage = Object.entries(spent).map(([name, msTotal]) => [name, msTotal / N] as const)
const total = perImage.reduce((sum, [, v]) => sum + (Number.isNaN(v) ? 0 : v), 0)
console.log(`CPU ms per image  ${perImage.map(([name, v]) => `${name} ${Number.isNaN(v) ? 'n/a (not local)' : v.toFixed(0)}`).join('  ')}  all ${total.toFixed(0)}`)
// The load generator shares the machine: what it spends is not the service's, but the service cannot have it.
console.log(`load generator    ${((clientCpu.user + clientCpu.system) / 1000 / N).toFixed(0)} CPU ms per image (this process: uploads and the WebSocket)`)
