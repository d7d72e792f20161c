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
// The binaries and the process helpers live in scripts/infra/ (shared with scripts/cluster.mjs).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cache, formatKafkaStorage, javaArgs, KAFKA_VERSION, kafkaLibs, kafkaLog4j, minioBinary, newKafkaClusterId, repo } from './infra/binaries.mjs'
import { alive, httpStatus, portOpen, readPid as readPidFile, startDetached as startProcess, stopPid, waitFor } from './infra/process.mjs'

export { KAFKA_VERSION, MINIO_MODULE, minioBinary } from './infra/binaries.mjs'
export { portOpen } from './infra/process.mjs'

const run = join(cache, 'run')
const logs = join(run, 'logs')

export const LOCAL = {
  kafka: { host: '127.0.0.1', port: 9092, controllerPort: 9093 },
  minio: { host: '127.0.0.1', port: 9000, consolePort: 9001, user: 'faceblur', password: 'faceblur-secret' }
}

const say = (msg) => process.stdout.write(`[infra] ${msg}\n`)

function startDetached (name, command, args, env = {}) {
  const logFile = join(logs, `${name}.log`)
  startProcess({ command, args, env, logFile, pidFile: join(run, `${name}.pid`) })
  return logFile
}

// ---- Kafka ---------------------------------------------------------------------------------

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
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    say(`Kafka: formatting KRaft storage in ${dataDir}`)
    await formatKafkaStorage({ libs, props, clusterId: newKafkaClusterId(), logsDir: kafkaLogs })
  }
  // A small heap is plenty for one node on a 2-core machine; the start scripts' default is 1 GiB.
  const jvm = ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', ...kafkaLog4j(kafkaLogs)]
  const logFile = startDetached('kafka', 'java', javaArgs(libs, 'kafka.Kafka', [props], jvm))
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

async function minioLive () {
  const { host, port } = LOCAL.minio
  return (await httpStatus(`http://${host}:${port}/minio/health/live`)) === 200
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

const readPid = (name) => readPidFile(join(run, `${name}.pid`))

/** The pid of the local server this script started, when it runs (for benchmarks reading its CPU time). */
export function serverPid (name) {
  if (!isServer(name)) throw new Error(`unknown server ${name}; expected kafka or minio`)
  const pid = readPid(name)
  return pid !== undefined && alive(pid) ? pid : undefined
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
  if (await stopPid(pid, { port, graceMs: 20_000, pidFile: join(run, `${name}.pid`) }) === 'killed') say(`${name}: still up 20 s after SIGTERM; SIGKILLed (pid ${pid})`)
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
