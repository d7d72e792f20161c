#!/usr/bin/env node
// Local infrastructure without Docker: a real single-node Kafka (KRaft) from Maven Central's
// artifacts and a real MinIO built from its Go module, on 127.0.0.1.
//
//   node scripts/infra.mjs up | down | status
//   node scripts/infra.mjs stop kafka|minio | start kafka|minio    # one server, for fault tests
//
// Heavy things (Kafka's jars, the MinIO binary) are fetched or built once into the cache
// (FACEBLUR_CACHE_DIR, default ~/.cache/faceblur) and reused. A server already answering on its
// port is reused, not restarted. When KAFKA_BROKERS or S3_ENDPOINT is set, that part is external
// and nothing local is started for it. Importing this module starts nothing: tests use
// `stopServer`, `kafkaUp` and `minioUp` to take a server away and bring it back.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const cache = process.env.FACEBLUR_CACHE_DIR ?? join(homedir(), '.cache', 'faceblur')
const run = join(cache, 'run')
const logs = join(run, 'logs')

export const KAFKA_VERSION = /<kafka\.version>([^<]+)</.exec(readFileSync(join(repo, 'infra/kafka/pom.xml'), 'utf8'))[1]
// MinIO has no semver tags; this pseudo-version is the newest commit the Go module proxy serves.
export const MINIO_MODULE = 'github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c'
export const LOCAL = {
  kafka: { host: '127.0.0.1', port: 9092, controllerPort: 9093 },
  minio: { host: '127.0.0.1', port: 9000, consolePort: 9001, user: 'faceblur', password: 'faceblur-secret' }
}

const say = (msg) => process.stdout.write(`[infra] ${msg}\n`)

/** Runs a command without blocking the event loop, so Kafka and MinIO provision side by side. */
function exec (command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options })
    child.once('error', reject)
    child.once('exit', (code) => code === 0 ? resolve() : reject(new Error(`${command} ${args[0]} exited with ${code}`)))
  })
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

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

/** Polls `check` until it holds (true) or `timeoutMs` passes (false). */
async function until (check, timeoutMs, everyMs = 500) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(everyMs)
  }
  return false
}

async function waitFor (what, check, { timeoutMs, logFile }) {
  if (await until(check, timeoutMs)) return
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s; see ${logFile}`)
}

function startDetached (name, command, args, env = {}) {
  mkdirSync(logs, { recursive: true })
  const logFile = join(logs, `${name}.log`)
  const out = openSync(logFile, 'a')
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } })
  child.unref()
  closeSync(out) // the child has its own copy; a test that restarts servers must not leak fds
  writeFileSync(join(run, `${name}.pid`), String(child.pid))
  return logFile
}

// ---- Kafka ---------------------------------------------------------------------------------

async function kafkaLibs () {
  const dir = join(cache, 'kafka', KAFKA_VERSION, 'libs')
  if (existsSync(join(dir, '.complete'))) return dir
  say(`resolving Apache Kafka ${KAFKA_VERSION} from Maven Central into ${dir}`)
  rmSync(dir, { recursive: true, force: true })
  await exec('mvn', ['-q', '-B', '-f', join(repo, 'infra/kafka/pom.xml'), 'dependency:copy-dependencies',
    '-DincludeScope=runtime', `-DoutputDirectory=${dir}`])
  writeFileSync(join(dir, '.complete'), KAFKA_VERSION)
  return dir
}

function java (libs, mainClass, args, extraJvm = []) {
  return ['-cp', `${libs}/*`, ...extraJvm, mainClass, ...args]
}

export async function kafkaUp () {
  if (process.env.KAFKA_BROKERS) return say(`Kafka: external (${process.env.KAFKA_BROKERS}); nothing started`)
  const { port } = LOCAL.kafka
  if (await portOpen(port)) return say(`Kafka: already running on 127.0.0.1:${port}; reused`)
  const libs = await kafkaLibs()
  const dataDir = join(run, 'kafka-data')
  const kafkaLogs = join(logs, 'kafka')
  mkdirSync(kafkaLogs, { recursive: true })
  const props = join(run, 'kafka-server.properties')
  writeFileSync(props, readFileSync(join(repo, 'infra/kafka/server.properties'), 'utf8').replaceAll('${DATA_DIR}', dataDir))
  const log4j = [`-Dlog4j2.configurationFile=${join(repo, 'infra/kafka/log4j2.properties')}`, `-Dkafka.logs.dir=${kafkaLogs}`]
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    say(`Kafka: formatting KRaft storage in ${dataDir}`)
    const clusterId = randomBytes(16).toString('base64url') // Kafka's Uuid text form
    await exec('java', java(libs, 'kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', props, '-g'], log4j), { stdio: 'ignore' })
  }
  // A small heap is plenty for one node on a 2-core machine; the start scripts' default is 1 GiB.
  const jvm = ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', ...log4j]
  const logFile = startDetached('kafka', 'java', java(libs, 'kafka.Kafka', [props], jvm))
  say(`Kafka ${KAFKA_VERSION}: starting on 127.0.0.1:${port} (stdout ${logFile}, broker log ${join(kafkaLogs, 'server.log')})`)
  // Kafka opens its port only after loading every partition's log: with the namespaced topics
  // that test runs leave behind that can take minutes, so it is given as long as it stays alive.
  const partitions = readdirSync(dataDir).length
  if (partitions > 2000) say(`Kafka: ${partitions} partition folders to load first (test runs leave their namespaced topics); this can take minutes`)
  const pid = readPid('kafka')
  await waitFor('Kafka', () => {
    if (pid !== undefined && !alive(pid)) throw new Error(`Kafka exited while starting; see ${logFile}`)
    return portOpen(port)
  }, { timeoutMs: 600_000, logFile })
  say('Kafka: up')
}

// ---- MinIO ---------------------------------------------------------------------------------

/** The MinIO server binary, built once from its Go module into the cache (also the Docker stand-in's). */
export async function minioBinary () {
  const version = MINIO_MODULE.split('@')[1]
  const dir = join(cache, 'minio', version)
  const bin = join(dir, 'minio')
  if (existsSync(bin)) return bin
  say(`building MinIO (${MINIO_MODULE}) with go install into ${dir}; once per machine, several minutes`)
  // Built to a temporary name first: an interrupted build never leaves a half binary in the cache.
  const tmp = join(dir, 'tmp')
  await exec('go', ['install', '-tags', 'kqueue', MINIO_MODULE], {
    env: { ...process.env, GOBIN: tmp, CGO_ENABLED: '0', GOFLAGS: '-trimpath' }
  })
  renameSync(join(tmp, 'minio'), bin)
  rmSync(tmp, { recursive: true, force: true })
  return bin
}

async function minioLive () {
  const { host, port } = LOCAL.minio
  try {
    const res = await fetch(`http://${host}:${port}/minio/health/live`, { signal: AbortSignal.timeout(1000) })
    return res.ok
  } catch { return false }
}

export async function minioUp () {
  if (process.env.S3_ENDPOINT) return say(`MinIO: external (${process.env.S3_ENDPOINT}); nothing started`)
  const { host, port, consolePort, user, password } = LOCAL.minio
  if (await portOpen(port)) return say(`MinIO: already running on ${host}:${port}; reused`)
  const bin = await minioBinary()
  const dataDir = join(run, 'minio-data')
  mkdirSync(dataDir, { recursive: true })
  const logFile = startDetached('minio', bin, ['server', '--quiet', '--address', `${host}:${port}`,
    '--console-address', `${host}:${consolePort}`, dataDir], {
    MINIO_ROOT_USER: user, MINIO_ROOT_PASSWORD: password, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off'
  })
  say(`MinIO: starting on ${host}:${port} (log ${logFile})`)
  await waitFor('MinIO', minioLive, { timeoutMs: 60_000, logFile })
  say('MinIO: up')
}

// ---- stop / start one server (fault injection) ---------------------------------------------

const SERVERS = {
  kafka: { up: kafkaUp, port: LOCAL.kafka.port, externalVar: 'KAFKA_BROKERS' },
  minio: { up: minioUp, port: LOCAL.minio.port, externalVar: 'S3_ENDPOINT' }
}
const isServer = (name) => typeof name === 'string' && Object.hasOwn(SERVERS, name)

function readPid (name) {
  const pidFile = join(run, `${name}.pid`)
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : NaN
  // 0 or a negative pid would signal a whole process group.
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** The pid of the local server this script started, when it runs (for benchmarks reading its CPU time). */
export function serverPid (name) {
  if (!isServer(name)) throw new Error(`unknown server ${name}; expected kafka or minio`)
  const pid = readPid(name)
  return pid !== undefined && alive(pid) ? pid : undefined
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
function alive (pid) {
  try { process.kill(pid, 0) } catch (err) { return err.code === 'EPERM' }
  try { return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) } catch { return true }
}

function signal (pid, sig) {
  try { process.kill(pid, sig) } catch {} // already gone
}

/**
 * Stops the local Kafka or MinIO started by this script: SIGTERM, SIGKILL after 20 s. Resolves
 * once the process has exited and its port refuses connections, so the server can be started
 * again at once (Kafka locks its data dir until the JVM is gone).
 */
export async function stopServer (name) {
  if (!isServer(name)) throw new Error(`unknown server ${name}; expected kafka or minio`)
  const { port, externalVar } = SERVERS[name]
  if (process.env[externalVar]) throw new Error(`${name} is external (${externalVar}=${process.env[externalVar]}); not stopped`)
  const pid = readPid(name)
  if (pid === undefined || !alive(pid)) {
    rmSync(join(run, `${name}.pid`), { force: true })
    if (await portOpen(port)) throw new Error(`${name} on 127.0.0.1:${port} was not started by this script; not stopped`)
    return say(`${name}: was not running`)
  }
  const gone = async () => !alive(pid) && !(await portOpen(port))
  signal(pid, 'SIGTERM')
  if (!(await until(gone, 20_000, 200))) {
    say(`${name}: still up 20 s after SIGTERM; SIGKILL (pid ${pid})`)
    signal(pid, 'SIGKILL')
    if (!(await until(gone, 10_000, 200))) throw new Error(`${name} (pid ${pid}) did not stop; 127.0.0.1:${port} still open`)
  }
  rmSync(join(run, `${name}.pid`), { force: true })
  say(`${name}: stopped (pid ${pid})`)
}

// ---- status --------------------------------------------------------------------------------

async function status () {
  say(`cache ${cache}; logs ${logs}`)
  say(`Kafka ${process.env.KAFKA_BROKERS ?? `127.0.0.1:${LOCAL.kafka.port}`}: ${process.env.KAFKA_BROKERS ? 'external' : (await portOpen(LOCAL.kafka.port)) ? 'up' : 'down'}`)
  say(`MinIO ${process.env.S3_ENDPOINT ?? `127.0.0.1:${LOCAL.minio.port}`}: ${process.env.S3_ENDPOINT ? 'external' : (await minioLive()) ? 'up' : 'down'}`)
  const kafkaCache = join(cache, 'kafka')
  if (existsSync(kafkaCache)) say(`cached Kafka versions: ${readdirSync(kafkaCache).join(', ')}`)
}

const commands = {
  // Both at once: the JVM and MinIO start in parallel on two cores.
  up: () => Promise.all([kafkaUp(), minioUp()]),
  // Waits until each is gone (SIGKILL after 20 s), so its port is free when `down` returns.
  down: async () => { for (const name of ['kafka', 'minio']) await stopServer(name).catch((err) => say(err.message)) },
  status,
  stop: (name) => stopServer(name),
  start: (name) => SERVERS[name].up()
}
const takesServer = new Set(['stop', 'start'])

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name = 'status', arg] = process.argv.slice(2)
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (!command || (takesServer.has(name) && !isServer(arg))) {
    process.stderr.write('usage: infra.mjs up | down | status | stop kafka|minio | start kafka|minio\n')
    process.exit(2)
  }
  command(arg).catch((err) => {
    process.stderr.write(`[infra] ${err.message}\n`)
    process.exit(1)
  })
}
