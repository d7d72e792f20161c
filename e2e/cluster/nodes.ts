// The local cluster's nodes (`npm run cluster`, scripts/cluster/layout.mjs), as the cluster fault
// suite takes them away and brings them back: a signal to the pid the cluster script recorded,
// and the operator's own `npm run cluster up` to restore whatever is down.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { namesFor } from '@faceblur/contracts'
import { Kafka, logLevel } from 'kafkajs'
import { BROKERS, KAFKA_BROKERS, MINIO_CREDENTIALS, MINIO_NODES, NAMESPACE, pidFile, SERVICE_NODES } from '../../scripts/cluster/layout.mjs'
import { until } from '../support/wait.js'

const run = promisify(execFile)
const clusterScript = join(import.meta.dirname, '../../scripts/cluster.mjs')

export { NAMESPACE }
export const GATEWAYS = SERVICE_NODES.filter((n) => n.service === 'gateway').map((n) => ({ name: n.name, base: `http://127.0.0.1:${n.port}` }))

/** The variables a client of the cluster (the suite's status watcher) reads, as the services get them. */
export const clientEnv = {
  KAFKA_BROKERS,
  S3_ENDPOINT: MINIO_NODES.map((m) => `http://127.0.0.1:${m.port}`).join(','),
  S3_ACCESS_KEY: MINIO_CREDENTIALS.user,
  S3_SECRET_KEY: MINIO_CREDENTIALS.password
}

const pidOf = (name: string): number => Number(readFileSync(pidFile(name), 'utf8').trim())
const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true } catch { return false } }

/** Sends `signal` to the node and resolves once its process is gone. */
export async function stopNode (name: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  const pid = pidOf(name)
  process.kill(pid, signal)
  // A broker's controlled shutdown hands its partitions over first: tens of seconds on a busy machine.
  await until(() => !alive(pid), 120_000, `${name} (pid ${pid}) gone after ${signal}`)
}

/** `npm run cluster up`: starts what is down and returns once every node answers (and Kafka is back in sync). */
export async function restoreCluster (): Promise<void> {
  await run(process.execPath, [clusterScript, 'up'], { timeout: 600_000 })
}

/** The broker that leads most partitions of the input topic (`submitted`), and how many it leads. */
export async function busiestInputLeader (): Promise<{ name: string, leads: number, of: number }> {
  const admin = new Kafka({ clientId: 'cluster-suite', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const topic = namesFor(NAMESPACE).topics.submitted
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    const leaders = topics[0]!.partitions.map((p) => p.leader)
    const counts = BROKERS.map((b) => ({ name: b.name, leads: leaders.filter((l) => l === b.id).length }))
    const top = counts.reduce((a, b) => (b.leads > a.leads ? b : a))
    return { ...top, of: leaders.length }
  } finally {
    await admin.disconnect()
  }
}

export const brokerNames = BROKERS.map((b) => b.name)

/** Each service's pid (gateways, stages, video), from the cluster script's pid files. */
export const servicePids = (): Record<string, number> => Object.fromEntries(SERVICE_NODES.map((n) => [n.name, pidOf(n.name)]))
