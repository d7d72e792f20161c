#!/usr/bin/env node
// Runs the built services (gateway, detector, blurrer, video) as child processes: one per stage unless
// told otherwise. Used by `npm start` and by the end-to-end tests.
//
//   node scripts/services.mjs            # all four, logs to this terminal, Ctrl-C stops them;
//                                        # one that exits is restarted (backoff 1 s .. 30 s)
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SERVICES = ['gateway', 'detector', 'blurrer', 'video']

/**
 * Node flags per service; the Dockerfiles' CMD lines and the packages' `start` scripts carry the
 * same (scripts/check-docker.mjs checks). V8 takes them only at start, and not from NODE_OPTIONS.
 * - The gateway's young generation would otherwise grow to 128 MiB while its task view reads the
 *   status topic, and V8 keeps that committed: 16 MiB semi-spaces cost the catch-up nothing
 *   measurable and save about 100 bytes of resident memory per task (`npm run bench:view`).
 * - A 128 MiB old generation before the first full collection: with a live heap of 25-35 MiB, V8's
 *   own limit sat a MiB or two above it, so every image's buffers set off a mark-compact (the
 *   blurrer ran 108 in a 240-image blur run, 1.1 s of pauses; with the flag 20, 0.2 s). Measured
 *   in three alternating pairs of `npm run bench:e2e` blur runs: 169 → 149 CPU ms an image, for
 *   30-65 MiB more resident per service (docs/benchmarks.md).
 */
const OLD_SPACE = '--initial-old-space-size=128'
export const NODE_FLAGS = { gateway: ['--max-semi-space-size=16', OLD_SPACE], detector: [OLD_SPACE], blurrer: [OLD_SPACE], video: [] }

/**
 * Starts one service. Resolves once it has logged `readyLine` (its "consuming"/"listening" line),
 * rejects if it exits first. `onLine` sees every stdout line (JSON logs).
 */
export function startService (name, { env = {}, readyLine, onLine, stdio = 'pipe', timeoutMs = 60_000 } = {}) {
  // FACEBLUR_CPU_PROFILE_DIR: each service writes a V8 CPU profile there when it exits (where a bench's CPU went).
  const profile = process.env.FACEBLUR_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FACEBLUR_CPU_PROFILE_DIR}`, `--cpu-prof-name=${name}-\${pid}.cpuprofile`] : []
  const child = spawn(process.execPath, [...NODE_FLAGS[name], ...profile, join(repo, 'packages', name, 'dist', 'main.js')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const ready = readyLine ?? (name === 'gateway' ? 'Server listening' : 'consuming')
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs)
    let buffered = ''
    const onData = (chunk) => {
      if (stdio === 'inherit') process.stdout.write(chunk)
      buffered += chunk
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        onLine?.(line)
        if (line.includes(ready)) { clearTimeout(timer); resolve(child) }
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk) => { if (stdio === 'inherit') process.stderr.write(chunk); else onLine?.(String(chunk)) })
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${name} exited (${code ?? signal}) before it was ready`)) })
  })
  return { name, child, started, stop: () => stopChild(child) }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
export function stopChild (child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', (code) => { clearTimeout(kill); resolve(code) })
    child.kill('SIGTERM')
  })
}

// ---- npm start: supervise until Ctrl-C -----------------------------------------------------

const FIRST_DELAY_MS = 1000
const MAX_DELAY_MS = 30_000
const HEALTHY_AFTER_MS = 60_000 // up this long, its next crash starts the backoff over

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const running = new Map() // name -> its current StartedService
  const restarts = new Set() // pending restart timers
  const everReady = new Set() // the "is up" line comes once, when each has been ready once
  let announced = false
  let stopping = false

  const announce = () => {
    announced = true
    const port = process.env.PORT ?? '8000'
    process.stderr.write(`[services] FaceBlur is up: http://127.0.0.1:${port}  (try: curl -F file=@photo.jpg 127.0.0.1:${port}/detect_faces)\n`)
  }

  /** Starts `name` and restarts it whenever it exits, `delayMs` later, doubling up to 30 s. */
  const supervise = (name, delayMs = FIRST_DELAY_MS) => {
    const svc = startService(name, { stdio: 'inherit', timeoutMs: 120_000 })
    const startedAt = Date.now()
    running.set(name, svc)
    svc.started.then(() => {
      everReady.add(name)
      if (everReady.size === SERVICES.length && !announced) announce()
    }, (err) => {
      // Exited before it was ready: the exit handler restarts it. Still running: it hung on
      // start-up, so it is stopped and restarted the same way.
      if (stopping || svc.child.exitCode !== null || svc.child.signalCode !== null) return
      process.stderr.write(`[services] ${err.message}\n`)
      void svc.stop()
    })
    svc.child.once('exit', (code, signal) => {
      if (stopping) return
      const delay = Date.now() - startedAt >= HEALTHY_AFTER_MS ? FIRST_DELAY_MS : delayMs
      process.stderr.write(`[services] ${name} exited (${code ?? signal}); restarting in ${delay / 1000} s\n`)
      const timer = setTimeout(() => {
        restarts.delete(timer)
        if (!stopping) supervise(name, Math.min(delay * 2, MAX_DELAY_MS))
      }, delay)
      restarts.add(timer)
    })
  }

  const stopAll = async () => {
    if (stopping) return
    stopping = true
    for (const timer of restarts) clearTimeout(timer)
    await Promise.all([...running.values()].map((s) => s.stop()))
    process.exit(0)
  }
  process.on('SIGINT', () => void stopAll())
  process.on('SIGTERM', () => void stopAll())
  // npm does not pass a SIGTERM on to the script it runs: when `npm start` is stopped that way
  // (a process supervisor, `timeout`), this process is orphaned; it then stops the services too.
  const parent = process.ppid
  setInterval(() => { if (process.ppid !== parent) void stopAll() }, 1000).unref()
  for (const name of SERVICES) supervise(name)
}
