// One video through the whole pipeline (gateway → video stage → detector → blurrer → video stage),
// and in the same run the raw model's frames/s on that video's frames, so the ratio is visible;
// with the CPU each process spent and the peak memory of each stage (its Node process, and the
// largest FFmpeg it ran at once).
//   npm run bench:video                BENCH_VIDEO_SECONDS=60 BENCH_VIDEO_WIDTH=1920 BENCH_VIDEO_HEIGHT=1080 BENCH_VIDEO_FPS=30
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openModel, prepareFrameViews, square, toChwFloat } from '@faceblur/detector'
import { Client, freePort, start } from '../support/harness.js'
import { cpuMeter } from '../support/proc-cpu.js'
import { makeClip, probe } from '../support/video.js'
import { serverPid } from '../../scripts/infra.mjs'

const SECONDS = Number(process.env.BENCH_VIDEO_SECONDS ?? 60)
const WIDTH = Number(process.env.BENCH_VIDEO_WIDTH ?? 1920)
const HEIGHT = Number(process.env.BENCH_VIDEO_HEIGHT ?? 1080)
const FPS = Number(process.env.BENCH_VIDEO_FPS ?? 30)
const root = join(import.meta.dirname, '../..')
const modelPath = execFileSync(process.execPath, [join(root, 'models/fetch.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim()
const dir = await mkdtemp(join(tmpdir(), 'faceblur-bench-video-'))

console.log(`# making a ${WIDTH}x${HEIGHT} ${FPS} fps clip of ${SECONDS} s (a pan across the fixture photo, with a tone)`)
const clip = await makeClip(dir, 'bench.mp4', { seconds: SECONDS, fps: FPS, gop: FPS * 2, width: WIDTH, height: HEIGHT })
const input = await probe(dir, clip)

// Raw model first, alone on the machine: session.run on ready tensors of this clip's frames.
const session = await openModel(modelPath, 'auto')
const frames = execFileSync('ffmpeg', ['-v', 'error', '-i', join(dir, 'bench.mp4'), '-frames:v', '20', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 30 })
const size = WIDTH * HEIGHT * 3
const tensors = await Promise.all(Array.from({ length: frames.length / size }, async (_, i) =>
  toChwFloat((await prepareFrameViews(frames.subarray(i * size, (i + 1) * size), WIDTH, HEIGHT, square(640), undefined))[0]!.rgb, 640, 640)))
for (let i = 0; i < 5; i++) await session.run(tensors[i % tensors.length]!)
const rawRuns = 60
const r0 = performance.now()
for (let i = 0; i < rawRuns; i++) await session.run(tensors[i % tensors.length]!)
const rawRate = rawRuns / ((performance.now() - r0) / 1000)
await session.release()

const port = freePort()
const env = { FACEBLUR_MAX_VIDEO_BYTES: String(4 * 1024 ** 3), FACEBLUR_TASK_TIMEOUT_S: '600' }
const services = await Promise.all([
  start('gateway', { PORT: String(port), ...env }), start('video', env), start('detector', { ...env, FACEBLUR_MODEL_PATH: modelPath, FACEBLUR_MODEL: 'yolov8n-face' }), start('blurrer', env)
])
const [gateway, video, detector, blurrer] = services.map((s) => s.child.pid!) as [number, number, number, number]
const client = new Client(`http://127.0.0.1:${port}`)

// Peak memory: each stage's Node process (VmHWM, the kernel's own high-water mark) and, sampled
// every 100 ms, the largest resident set of the FFmpeg processes it runs.
const ffmpegPeak: Record<string, number> = { video: 0, detector: 0, blurrer: 0 }
const sampler = setInterval(() => {
  for (const [name, pid] of Object.entries({ video, detector, blurrer })) {
    let sum = 0
    for (const child of childrenOf(pid)) sum += kib(child, 'VmRSS')
    ffmpegPeak[name] = Math.max(ffmpegPeak[name]!, sum)
  }
}, 100)

const cpu = cpuMeter({ gateway, video, detector, blurrer, kafka: serverPid('kafka'), minio: serverPid('minio') })
const t0 = performance.now()
const id = await client.submitOk('video', clip)
const { final } = await client.waitDone(id, 3_600_000)
const wall = (performance.now() - t0) / 1000
const spent = cpu.stop()
clearInterval(sampler)
const peaks = Object.fromEntries(Object.entries({ gateway, video, detector, blurrer }).map(([name, pid]) => [name, kib(pid, 'VmHWM')]))
await Promise.all(services.map((s) => s.stop()))
await rm(dir, { recursive: true, force: true })
if (final.status !== 'SUCCESS') throw new Error(`the video failed: ${JSON.stringify(final.error)}`)

const rate = input.frames / wall
const mib = (k: number): string => `${Math.round(k / 1024)} MiB`
console.log(`video: ${input.frames} frames of ${WIDTH}x${HEIGHT} (${SECONDS} s at ${FPS} fps, ${(clip.length / 1e6).toFixed(1)} MB), upload → SUCCESS ${wall.toFixed(1)} s`)
console.log(`pipeline: ${rate.toFixed(2)} frames/s; raw model (session.run, fp32): ${rawRate.toFixed(2)} frames/s; pipeline / raw ${(100 * rate / rawRate).toFixed(1)} %`)
console.log(`cpu ms/frame: ${Object.entries(spent).map(([k, v]) => `${k} ${(v / input.frames).toFixed(1)}`).join(', ')}`)
console.log(`peak memory: ${Object.entries(peaks).map(([k, v]) => `${k} ${mib(v)}${ffmpegPeak[k] === undefined ? '' : ` (+ FFmpeg ${mib(ffmpegPeak[k])})`}`).join(', ')}`)

function kib (pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  } catch { return 0 }
}

function childrenOf (pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
  } catch { return [] }
}
