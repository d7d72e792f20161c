#!/usr/bin/env node
// Runs the built services (gateway, detector, blurrer) as child processes: one per stage unless
// told otherwise. Used by `npm start` and by the end-to-end tests.
//
//   node scripts/services.mjs            # all three, logs to this terminal, Ctrl-C stops them
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SERVICES = ['gateway', 'detector', 'blurrer']

/**
 * Starts one service. Resolves once it has logged `readyLine` (its "consuming"/"listening" line),
 * rejects if it exits first. `onLine` sees every stdout line (JSON logs).
 */
export function startService (name, { env = {}, readyLine, onLine, stdio = 'pipe', timeoutMs = 60_000 } = {}) {
  const child = spawn(process.execPath, [join(repo, 'packages', name, 'dist', 'main.js')], {
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const running = SERVICES.map((name) => startService(name, { stdio: 'inherit', timeoutMs: 120_000 }))
  let stopping = false
  const stopAll = async (code) => {
    if (stopping) return
    stopping = true
    await Promise.all(running.map((s) => s.stop()))
    process.exit(code)
  }
  process.on('SIGINT', () => void stopAll(0))
  process.on('SIGTERM', () => void stopAll(0))
  for (const s of running) {
    s.child.once('exit', (code) => {
      if (!stopping) process.stderr.write(`[services] ${s.name} exited (${code}); stopping the others\n`)
      void stopAll(code ?? 1)
    })
  }
  Promise.all(running.map((s) => s.started)).then(() => {
    const port = process.env.PORT ?? '8000'
    process.stderr.write(`[services] FaceBlur is up: http://127.0.0.1:${port}  (try: curl -F file=@photo.jpg 127.0.0.1:${port}/detect_faces)\n`)
  }, (err) => {
    process.stderr.write(`[services] ${err.message}\n`)
    void stopAll(1)
  })
}
