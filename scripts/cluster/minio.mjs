// The cluster's MinIO: four nodes in distributed mode, one drive each, started by one server
// command that names all four endpoints (every node runs the same command and serves the one
// whose port is its own).
import { mkdirSync } from 'node:fs'
import { minioBinary } from '../infra/binaries.mjs'
import { alive, httpStatus, ownPid, portOpen, startDetached, until } from '../infra/process.mjs'
import { dir, logFile, MINIO_CREDENTIALS, MINIO_ENDPOINTS, MINIO_NODES, pidFile } from './layout.mjs'

const say = (msg) => process.stdout.write(`[cluster] ${msg}\n`)

/** The running node's pid, when this script started it. */
export const minioPid = (node) => ownPid(pidFile(node.name), `--address 127.0.0.1:${node.port}`)

export const nodeLive = async (node) => (await httpStatus(`http://127.0.0.1:${node.port}/minio/health/live`)) === 200

/** 200 when the erasure set has write quorum as seen from `node` (3 of the 4 drives with EC:2). */
export const clusterWritable = async (node) => (await httpStatus(`http://127.0.0.1:${node.port}/minio/health/cluster`)) === 200

function startNode (node, bin) {
  mkdirSync(node.drive, { recursive: true })
  const pid = startDetached({
    command: bin,
    args: ['server', '--quiet', '--address', `127.0.0.1:${node.port}`, '--console-address', `127.0.0.1:${node.consolePort}`, ...MINIO_ENDPOINTS],
    env: {
      MINIO_ROOT_USER: MINIO_CREDENTIALS.user,
      MINIO_ROOT_PASSWORD: MINIO_CREDENTIALS.password,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      // The four drives are folders on the machine's root file system, which a distributed MinIO
      // refuses unless told this is a test set-up.
      MINIO_CI_CD: 'on',
      // Which endpoint is this node's. In a container (a /.dockerenv) MinIO waits for ever for
      // 127.0.0.1 to "resolve to a valid IP"; this (internal) variable names the local endpoint
      // instead. Elsewhere MinIO ignores it and finds its own by the port.
      _MINIO_SERVER_LOCAL: `127.0.0.1:${node.port}`
    },
    logFile: logFile(node.name),
    pidFile: pidFile(node.name)
  })
  say(`${node.name}: started (pid ${pid}, 127.0.0.1:${node.port}, drive ${node.drive})`)
}

/**
 * Starts every node that is not running, then waits until all four are live and the set can
 * write. A node started alone joins the three that run; the first start waits for a quorum.
 */
export async function minioClusterUp () {
  const missing = MINIO_NODES.filter((n) => minioPid(n) === undefined)
  for (const n of MINIO_NODES) if (!missing.includes(n)) say(`${n.name}: running (pid ${minioPid(n)})`)
  for (const n of missing) {
    if (await portOpen(n.port)) throw new Error(`${n.name}: port ${n.port} is taken by a process this script did not start`)
  }
  if (missing.length > 0) {
    const bin = await minioBinary()
    for (const n of missing) startNode(n, bin)
  }
  const ok = await until(async () => {
    const dead = missing.find((n) => { const pid = minioPid(n); return pid === undefined || !alive(pid) })
    if (dead !== undefined) throw new Error(`${dead.name} exited while starting; see ${logFile(dead.name)}`)
    const live = await Promise.all(MINIO_NODES.map(nodeLive))
    return live.every(Boolean) && await clusterWritable(MINIO_NODES[0])
  }, 120_000, 1000)
  if (!ok) throw new Error(`MinIO: the four nodes did not all come up within 120 s; see ${dir}/logs/minio-*.log`)
  say(`MinIO: 4 nodes up, erasure set writable (${MINIO_NODES.map((n) => n.port).join(', ')})`)
}
