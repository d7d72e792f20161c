#!/usr/bin/env node
// `npm run docker:e2e`: proves docker-compose.yml on this machine. It makes sure a Docker Engine
// and the Compose and Buildx plugins are there (scripts/docker/engine.mjs), that the base images
// are present, pulled, or built as local stand-ins (scripts/docker/standins.mjs), then runs
// `docker compose up --build --wait` as its own project, sends one detect, one blur and one video
// through the published port, checks the answers, and always ends with `docker compose down --volumes`.
// Prints `docker e2e: ok` and what it built; exits non-zero on any failure.
//
//   npm run docker:e2e -- --cluster   # with docker-compose.cluster.yml: 3 brokers, 4 MinIO nodes,
//                                     # 2 of each service; the detect and blur go through both gateways
//                                     # (not run by CI, which has the local cluster suite)
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { ensureDocker } from './docker/engine.mjs'
import { setTimeout as sleep } from 'node:timers/promises'
import { capture, run } from './lib/child.mjs'
import { say } from './docker/say.mjs'
import { baseImages, ensureBaseImages } from './docker/standins.mjs'
import { portOpen } from './infra.mjs'

const repo = join(import.meta.dirname, '..')
const cache = process.env.FACEBLUR_CACHE_DIR ?? join(homedir(), '.cache', 'faceblur')
// Its own project name, so `down --volumes` can never touch a deployment called `faceblur`.
const PROJECT = 'faceblur-e2e'
const API = 'http://127.0.0.1:8000'
const CLUSTER = process.argv.includes('--cluster')
const GATEWAY_2 = 'http://127.0.0.1:8010' // docker-compose.cluster.yml's second gateway
const FILES = ['docker-compose.yml', ...(CLUSTER ? ['docker-compose.cluster.yml'] : [])]
const HOST_PORTS = { 8000: 'the gateway', 9000: 'MinIO', 9092: 'Kafka', ...(CLUSTER ? { 8010: 'the second gateway' } : {}) }
const WAIT_S = Number(process.env.DOCKER_E2E_WAIT_S ?? 600)
const seed = join(repo, '..', 'shared', 'fixtures', 'seed_test.jpg')

async function submit (path, file, base = API) {
  const form = new FormData()
  form.append('file', new Blob([readFileSync(file)]), basename(file))
  const res = await fetch(`${base}${path}`, { method: 'POST', body: form })
  const body = await res.json()
  if (res.status !== 200 || typeof body.task_id !== 'string') throw new Error(`POST ${path} answered ${res.status} ${JSON.stringify(body)}`)
  return body.task_id
}

/**
 * One video through every image that runs FFmpeg: a two-second clip (FFmpeg's test pattern and a
 * tone, made inside the video container) is cut, detected, blurred, joined, and read back by range.
 */
async function exerciseVideo (compose, dir) {
  await compose(['exec', '-T', 'video', 'ffmpeg', '-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10',
    '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '2', '-c:v', 'libx264', '-g', '10', '-c:a', 'aac', '/tmp/clip.mkv'])
  const clip = join(dir, 'clip.mkv')
  await compose(['cp', 'video:/tmp/clip.mkv', clip])
  const id = await submit('/blur_video', clip)
  const done = await finished(id)
  if (done.result?.frames !== 20) throw new Error(`the video came back with ${done.result?.frames} frames, expected 20: ${JSON.stringify(done.result)}`)
  const res = await fetch(`${API}/results/${id}`, { headers: { range: 'bytes=0-7' } })
  const head = Buffer.from(await res.arrayBuffer())
  if (res.status !== 206 || res.headers.get('content-type') !== 'video/mp4' || head.subarray(4, 8).toString() !== 'ftyp') {
    throw new Error(`GET /results with a range answered ${res.status} ${res.headers.get('content-type')} ${head.toString('hex')}, expected 206 and an MP4's first bytes`)
  }
  say(`video: SUCCESS, ${done.result.frames} frames, /results answered a range with 206`)
}

async function finished (taskId, base = API, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const body = await (await fetch(`${base}/task_result/${taskId}`)).json()
    if (body.status === 'SUCCESS') return body
    if (body.status === 'FAILURE') throw new Error(`task ${taskId} failed: ${JSON.stringify(body)}`)
    await sleep(250)
  }
  throw new Error(`task ${taskId} did not finish within ${timeoutMs / 1000} s`)
}

/** One detect (the fixture's two faces) and one blur (an image, not the upload) through the port. */
async function exercise (base = API) {
  const detect = await finished(await submit('/detect_faces', seed, base), base)
  const faces = Object.keys(detect.result ?? {})
  if (faces.length !== 2) throw new Error(`detect found ${faces.length} faces in seed_test.jpg, expected 2: ${JSON.stringify(detect.result)}`)
  say(`detect via ${base}: ${faces.length} faces, SUCCESS`)
  const blurId = await submit('/blur_faces', seed, base)
  await finished(blurId, base)
  const res = await fetch(`${base}/results/${blurId}`)
  const blurred = Buffer.from(await res.arrayBuffer())
  const type = res.headers.get('content-type')
  if (res.status !== 200 || type !== 'image/jpeg' || blurred[0] !== 0xff || blurred[1] !== 0xd8) {
    throw new Error(`GET /results answered ${res.status} ${type} (${blurred.length} bytes), expected a JPEG`)
  }
  if (blurred.equals(readFileSync(seed))) throw new Error('the blurred image is the upload itself')
  say(`blur: SUCCESS, /results gave a ${blurred.length}-byte JPEG`)
}

async function main () {
  const started = Date.now()
  const { env, provided } = await ensureDocker(join(cache, 'docker'))
  // The CA certificates this machine's Node trusts beyond its own go to the image builds too
  // (docker-compose.yml's build secret), so a TLS-inspecting proxy that the host trusts works there.
  const extraCa = process.env.NODE_EXTRA_CA_CERTS
  if (!env.FACEBLUR_BUILD_CA_FILE && extraCa && existsSync(extraCa)) {
    env.FACEBLUR_BUILD_CA_FILE = extraCa
    provided.push(`build-ca: ${extraCa} (NODE_EXTRA_CA_CERTS)`)
  }
  const project = ['--project-name', PROJECT, ...FILES.flatMap((f) => ['--file', join(repo, f)])]
  const compose = (args) => capture('docker', ['compose', ...project, ...args], { env, cwd: repo })
  const composeShown = (args) => run('docker', ['compose', '--progress', 'quiet', ...project, ...args], { env, cwd: repo })

  for (const [port, what] of Object.entries(HOST_PORTS)) {
    if (await portOpen(Number(port))) throw new Error(`port ${port} (${what} in docker-compose.yml) is taken: stop \`npm start\` and run \`npm run infra down\` first`)
  }
  const images = await baseImages(repo, compose)
  const bases = await ensureBaseImages({ repo, cache, env, images })

  let ok = false
  try {
    say(`docker compose up --build --wait (project ${PROJECT}; up to ${WAIT_S} s)`)
    const upStarted = Date.now()
    await composeShown(['up', '--build', '--detach', '--wait', '--wait-timeout', String(WAIT_S), '--quiet-pull'])
    say(`every service healthy after ${Math.round((Date.now() - upStarted) / 1000)} s`)
    await exercise()
    if (CLUSTER) await exercise(GATEWAY_2)
    const scratch = mkdtempSync(join(tmpdir(), 'faceblur-docker-e2e-'))
    try {
      await exerciseVideo(compose, scratch)
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
    const sizes = []
    for (const service of ['gateway', 'detector', 'blurrer', 'video']) {
      const id = (await compose(['images', '--quiet', service])).trim().split('\n')[0]
      const bytes = Number(await capture('docker', ['image', 'inspect', '--format', '{{.Size}}', id], { env }))
      sizes.push(`${service} ${Math.round(bytes / 1e6)} MB`)
    }
    ok = true
    process.stdout.write([
      'docker e2e: ok',
      `  took ${Math.round((Date.now() - started) / 1000)} s`,
      ...provided.map((line) => `  provided: ${line}`),
      ...bases.map(([image, how]) => `  base image ${image}: ${how}`),
      `  built: ${sizes.join(', ')}`, ''
    ].join('\n'))
  } finally {
    if (!ok) {
      await composeShown(['ps', '--all']).catch(() => {})
      await composeShown(['logs', '--no-color', '--tail', '60']).catch(() => {})
    }
    await compose(['down', '--volumes', '--remove-orphans', '--timeout', '30'])
  }
}

main().catch((err) => {
  process.stderr.write(`docker e2e: FAILED: ${err.message}\n`)
  process.exit(1)
})
