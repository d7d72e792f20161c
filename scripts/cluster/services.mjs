// The cluster's services: two gateways, two detectors, two blurrers and the video stage, each a
// detached process with a pid file and a log file, pointed at the three brokers and one MinIO node.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cache, repo } from '../infra/binaries.mjs'
import { alive, httpStatus, ownPid, portOpen, startDetached, until } from '../infra/process.mjs'
import { NODE_FLAGS, SERVICES } from '../services.mjs'
import { KAFKA_BROKERS, logFile, MINIO_CREDENTIALS, MINIO_NODES, NAMESPACE, pidFile, PORT_VARIABLE, SERVICE_NODES } from './layout.mjs'

const say = (msg) => process.stdout.write(`[cluster] ${msg}\n`)
const main = (service) => join(repo, 'packages', service, 'dist', 'main.js')

/** The running service's pid, when this script started it. */
export const servicePid = (node) => ownPid(pidFile(node.name), main(node.service))

/** What is missing before the services can run, as a message for the user; undefined when nothing is. */
export function missingBuild () {
  const unbuilt = SERVICES.filter((s) => !existsSync(main(s)))
  return unbuilt.length === 0 ? undefined : `${unbuilt.map(main).join(', ')} missing: run \`npm run build\` first`
}

/** A Node.js the services run on (22 or newer): this one, or the one `npm start` put in the cache. */
function nodeBinary () {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  const cached = join(cache, 'tools', `node-${readFileSync(join(repo, '.nvmrc'), 'utf8').trim()}`, 'bin', 'node')
  if (existsSync(cached)) return cached
  throw new Error(`Node.js ${process.version} is too old for the services and ${cached} is missing: run \`npm start\` once, or use Node.js 22+`)
}

/** The detector's model: FACEBLUR_MODEL (YuNet-n by default), its file fetched into the cache like `npm start` does. */
function model () {
  const name = process.env.FACEBLUR_MODEL ?? 'yunet-n'
  if (process.env.FACEBLUR_MODEL_PATH) return { FACEBLUR_MODEL: name, FACEBLUR_MODEL_PATH: process.env.FACEBLUR_MODEL_PATH }
  const args = { 'yunet-n': ['yunet-n'], 'yolov8n-face': [] }[name]
  if (args === undefined) throw new Error(`FACEBLUR_MODEL=${name}: set FACEBLUR_MODEL_PATH to its file`)
  const path = execFileSync(process.execPath, [join(repo, 'models/fetch.mjs'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()
  return { FACEBLUR_MODEL: name, FACEBLUR_MODEL_PATH: path }
}

function env (node, detectorModel) {
  const minio = MINIO_NODES[node.minio - 1]
  return {
    KAFKA_BROKERS, // all three: a client needs any one to find the rest
    FACEBLUR_NAMESPACE: NAMESPACE,
    FACEBLUR_KAFKA_REPLICATION_FACTOR: '3', // and min.insync.replicas 2 (packages/service-kit/src/provision.ts)
    // Every node, this service's own first (SERVICE_NODES spreads them): the store moves on to the
    // next when one does not answer, so a dead node costs a refused connection, not the task.
    S3_ENDPOINT: [minio, ...MINIO_NODES.filter((n) => n !== minio)].map((n) => `http://127.0.0.1:${n.port}`).join(','),
    S3_ACCESS_KEY: MINIO_CREDENTIALS.user,
    S3_SECRET_KEY: MINIO_CREDENTIALS.password,
    [PORT_VARIABLE[node.service]]: String(node.port),
    // Two detectors on a shared 2-core machine: one inference worker each, not one per core each.
    ...(node.service === 'detector' ? { ...detectorModel, FACEBLUR_ORT_WORKERS: process.env.FACEBLUR_ORT_WORKERS ?? '1' } : {})
  }
}

/** `/ready` (200 or 503), else `/health`, of the service's HTTP port. */
export async function serviceAnswer (node) {
  const ready = await httpStatus(`http://127.0.0.1:${node.port}/ready`)
  const health = await httpStatus(`http://127.0.0.1:${node.port}/health`)
  return { ready, health, ok: ready === 200 }
}

/** Starts every service that is not running, all at once, and waits until each is ready. */
export async function servicesUp () {
  const missing = SERVICE_NODES.filter((n) => servicePid(n) === undefined)
  for (const n of SERVICE_NODES) if (!missing.includes(n)) say(`${n.name}: running (pid ${servicePid(n)})`)
  for (const n of missing) {
    if (await portOpen(n.port)) throw new Error(`${n.name}: port ${n.port} is taken by a process this script did not start`)
  }
  const node = missing.length > 0 ? nodeBinary() : undefined
  const detectorModel = missing.some((n) => n.service === 'detector') ? model() : {}
  for (const n of missing) {
    const pid = startDetached({
      command: node,
      args: [...NODE_FLAGS[n.service], main(n.service)],
      env: env(n, detectorModel),
      cwd: repo,
      logFile: logFile(n.name),
      pidFile: pidFile(n.name)
    })
    say(`${n.name}: started (pid ${pid}, port ${n.port}, MinIO node ${n.minio}; log ${logFile(n.name)})`)
  }
  // Seven Node processes starting on two cores beside three JVMs and four MinIOs: minutes, not
  // seconds. Every service is waited for, not only those started: after a broker or a MinIO node
  // comes back, the running ones take a moment to rejoin their groups and be ready again.
  const ok = await until(async () => {
    const dead = missing.find((n) => { const pid = servicePid(n); return pid === undefined || !alive(pid) })
    if (dead !== undefined) throw new Error(`${dead.name} exited while starting; see ${logFile(dead.name)}`)
    return (await Promise.all(SERVICE_NODES.map(serviceAnswer))).every((a) => a.ok)
  }, 300_000, 1000)
  if (!ok) throw new Error('the services were not all ready within 300 s; see `npm run cluster status` and their logs')
  say(`services: ${SERVICE_NODES.length} ready (gateways on ${SERVICE_NODES.filter((n) => n.service === 'gateway').map((n) => n.port).join(', ')})`)
}
