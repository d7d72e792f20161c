#!/usr/bin/env node
// A local cluster on one machine (issue #23): three KRaft brokers (replication factor 3,
// min.insync.replicas 2), MinIO in distributed mode on four nodes (one erasure set), and two
// gateways, two detectors, two blurrers and the video stage under the namespace `cluster.`.
// The same cached Kafka and MinIO binaries as scripts/infra.mjs; ports in scripts/cluster/layout.mjs.
//
//   npm run cluster up            # starts whatever is not running (also after a node was killed)
//   npm run cluster status        # each node: pid, port, whether it answers
//   npm run cluster down          # stops all; data stays for the next `up`
//   npm run cluster down -- --wipe   # and deletes the brokers' and drives' data
//
// Everything runs detached, with pid and log files under ${FACEBLUR_CACHE_DIR:-~/.cache/faceblur}/cluster/.
// Nothing is supervised: a node that dies stays down until the next `up`.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stopPid } from './infra/process.mjs'
import { brokerPid, describe, kafkaClusterUp, topicsSummary } from './cluster/kafka.mjs'
import { BROKERS, dir, MINIO_NODES, pidFile, SERVICE_NODES } from './cluster/layout.mjs'
import { clusterWritable, minioClusterUp, minioPid, nodeLive } from './cluster/minio.mjs'
import { missingBuild, serviceAnswer, servicePid, servicesUp } from './cluster/services.mjs'

const say = (msg) => process.stdout.write(`[cluster] ${msg}\n`)

async function up () {
  const unbuilt = missingBuild()
  if (unbuilt !== undefined) throw new Error(unbuilt)
  // Side by side: the JVMs and MinIO start in parallel. The services need both (they create
  // their topics with three replicas, so all three brokers must be there first).
  await Promise.all([kafkaClusterUp(), minioClusterUp()])
  await servicesUp()
  await status()
}

/** Stops what this script started: the services first (they leave their groups), then the servers. */
async function down (wipe) {
  const stop = async (name, pid, port, graceMs) => {
    if (pid === undefined) return say(`${name}: not running`)
    const how = await stopPid(pid, { port, graceMs, pidFile: pidFile(name) })
    say(`${name}: ${how === 'killed' ? `SIGKILLed after ${graceMs / 1000} s` : 'stopped'} (pid ${pid})`)
  }
  await Promise.all(SERVICE_NODES.map((n) => stop(n.name, servicePid(n), n.port, 15_000)))
  // All brokers at once: a broker's controlled shutdown needs the quorum that the others form.
  await Promise.all([
    ...BROKERS.map((b) => stop(b.name, brokerPid(b), b.port, 30_000)),
    ...MINIO_NODES.map((n) => stop(n.name, minioPid(n), n.port, 15_000))
  ])
  if (wipe) {
    for (const data of ['kafka', 'minio']) rmSync(join(dir, data), { recursive: true, force: true })
    say(`wiped the brokers' and drives' data under ${dir} (logs kept)`)
  }
}

/** One line a node: pid (or "-"), port, and its answer. Exits 1 when anything does not answer. */
async function status () {
  const rows = []
  const row = (name, pid, port, ok, answer, state = ok ? 'up' : 'DOWN') => rows.push({ name, pid: pid ?? '-', port, ok, answer, state })
  const [brokers, minios, services] = await Promise.all([
    Promise.all(BROKERS.map(describe)),
    Promise.all(MINIO_NODES.map(nodeLive)),
    Promise.all(SERVICE_NODES.map(serviceAnswer))
  ])
  BROKERS.forEach((b, i) => row(b.name, brokerPid(b), b.port, brokers[i].error === undefined,
    brokers[i].error === undefined ? `metadata: ${brokers[i].brokers} brokers` : `no answer (${brokers[i].error})`))
  MINIO_NODES.forEach((n, i) => row(n.name, minioPid(n), n.port, minios[i], minios[i] ? '/minio/health/live 200' : 'no answer'))
  SERVICE_NODES.forEach((n, i) => {
    const { ready, health, ok } = services[i]
    // Running but not ready: its consumer is not joined, or Kafka or its MinIO node does not answer.
    row(n.name, servicePid(n), n.port, ok, ready === undefined ? 'no answer' : `/ready ${ready}, /health ${health ?? '-'}`, ok ? 'up' : health === 200 ? 'NOT READY' : 'DOWN')
  })
  const width = (key) => Math.max(...rows.map((r) => String(r[key]).length))
  for (const r of rows) {
    say(`${r.name.padEnd(width('name'))}  pid ${String(r.pid).padEnd(width('pid'))}  port ${r.port}  ${r.state.padEnd(width('state'))}  ${r.answer}`)
  }
  const live = MINIO_NODES.find((_, i) => minios[i])
  say(`Kafka: ${brokers.some((b) => b.error === undefined) ? await topicsSummary() : 'no broker answers'}`)
  say(`MinIO: ${live === undefined ? 'no node answers' : (await clusterWritable(live)) ? 'erasure set has write quorum' : 'erasure set has NO write quorum'}`)
  say(`pids and logs under ${dir}`)
  if (rows.some((r) => !r.ok)) process.exitCode = 1
}

// `npm run cluster down --wipe` (without the `--`) hands npm the flag, which passes it on only as
// npm_config_wipe; honoured too, as that is what the user asked for.
const wipe = process.argv.includes('--wipe') || process.env.npm_config_wipe === 'true'
const commands = { up, down: () => down(wipe), status }

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const name = process.argv[2] ?? 'status'
  const extra = process.argv.slice(3).filter((a) => !(name === 'down' && a === '--wipe'))
  if (!Object.hasOwn(commands, name) || extra.length > 0) {
    process.stderr.write('usage: npm run cluster up | status | down [-- --wipe]\n')
    process.exit(2)
  }
  commands[name]().catch((err) => {
    process.stderr.write(`[cluster] ${err.message}\n`)
    process.exit(1)
  })
}
