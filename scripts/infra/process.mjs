// Process and port helpers shared by scripts/infra.mjs (one local Kafka and MinIO) and
// scripts/cluster.mjs (the local cluster): start a detached server with a pid file and a log file,
// wait for a port or a check, stop a pid we started. Commands that run and end: ../lib/child.mjs.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** Whether something accepts connections on the port (within 1 s). */
export function portOpen (port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host })
    socket.setTimeout(1000)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}

/** The HTTP status of a GET (within 2 s), or undefined when nothing answers. */
export async function httpStatus (url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
    await res.body?.cancel()
    return res.status
  } catch { return undefined }
}

/** Polls `check` until it holds (true) or `timeoutMs` passes (false). */
export async function until (check, timeoutMs, everyMs = 500) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(everyMs)
  }
  return false
}

export async function waitFor (what, check, { timeoutMs, logFile }) {
  if (await until(check, timeoutMs)) return
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s; see ${logFile}`)
}

/** Starts a server in its own process group, outliving this script; returns its pid. */
export function startDetached ({ command, args, env = {}, logFile, pidFile, cwd }) {
  mkdirSync(dirname(logFile), { recursive: true })
  mkdirSync(dirname(pidFile), { recursive: true })
  const out = openSync(logFile, 'a')
  const child = spawn(command, args, { detached: true, cwd, stdio: ['ignore', out, out], env: { ...process.env, ...env } })
  child.unref()
  closeSync(out) // the child has its own copy; a test that restarts servers must not leak fds
  writeFileSync(pidFile, String(child.pid))
  return child.pid
}

export function readPid (pidFile) {
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : NaN
  // 0 or a negative pid would signal a whole process group.
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function alive (pid) {
  try { process.kill(pid, 0) } catch (err) { return err.code === 'EPERM' }
  try { return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) } catch { return true }
}

/** The pid in `pidFile` when it still runs the command we started (its command line contains `marker`). */
export function ownPid (pidFile, marker) {
  const pid = readPid(pidFile)
  if (pid === undefined || !alive(pid)) return undefined
  try {
    // A recycled pid runs something else: never signal that.
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker)) return undefined
  } catch {} // no /proc (macOS): trust the pid file
  return pid
}

export function signal (pid, sig) {
  try { process.kill(pid, sig) } catch {} // already gone
}

/**
 * SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited and its port (when
 * given) refuses connections, and removes the pid file. Returns 'stopped' or 'killed'.
 */
export async function stopPid (pid, { port, graceMs = 20_000, pidFile }) {
  const gone = async () => !alive(pid) && (port === undefined || !(await portOpen(port)))
  let how = 'stopped'
  signal(pid, 'SIGTERM')
  if (!(await until(gone, graceMs, 200))) {
    how = 'killed'
    signal(pid, 'SIGKILL')
    if (!(await until(gone, 10_000, 200))) throw new Error(`pid ${pid} did not stop${port === undefined ? '' : `; 127.0.0.1:${port} still open`}`)
  }
  if (pidFile !== undefined) rmSync(pidFile, { force: true })
  return how
}
