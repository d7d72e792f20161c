// The cluster's three KRaft brokers: start the missing ones, ask each for the cluster's metadata,
// and summarise the replication of the cluster's topics.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { formatKafkaStorage, javaArgs, KAFKA_VERSION, kafkaLibs, kafkaLog4j, newKafkaClusterId, repo } from '../infra/binaries.mjs'
import { alive, ownPid, portOpen, startDetached, until } from '../infra/process.mjs'
import { BROKERS, dir, KAFKA_BROKERS, logFile, NAMESPACE, pidFile } from './layout.mjs'

const { ConfigResourceTypes, Kafka, logLevel } = createRequire(join(repo, 'packages/service-kit/package.json'))('kafkajs')
const say = (msg) => process.stdout.write(`[cluster] ${msg}\n`)

/** The running broker's pid, when this script started it. */
export const brokerPid = (broker) => ownPid(pidFile(broker.name), broker.props)

/** One cluster id for all three nodes, kept beside their data (a wipe makes a new one). */
function clusterId () {
  const file = join(dir, 'kafka', 'cluster-id')
  if (!existsSync(file)) {
    mkdirSync(join(dir, 'kafka'), { recursive: true })
    writeFileSync(file, newKafkaClusterId())
  }
  return readFileSync(file, 'utf8').trim()
}

async function startBroker (broker, libs) {
  const voters = BROKERS.map((b) => `${b.id}@127.0.0.1:${b.controllerPort}`).join(',')
  const fill = { NODE_ID: broker.id, VOTERS: voters, PORT: broker.port, CONTROLLER_PORT: broker.controllerPort, DATA_DIR: broker.data }
  const template = readFileSync(join(repo, 'infra/kafka/cluster.properties'), 'utf8')
  mkdirSync(broker.data, { recursive: true })
  writeFileSync(broker.props, template.replaceAll(/\$\{(\w+)\}/g, (_, key) => String(fill[key])))
  const logsDir = join(dir, 'logs', broker.name)
  // The static voters list: every node formats with the same cluster id and no --standalone.
  if (!existsSync(join(broker.data, 'meta.properties'))) await formatKafkaStorage({ libs, props: broker.props, clusterId: clusterId(), logsDir })
  // Three JVMs on a shared 2-core machine: small heaps (the start scripts' default is 1 GiB each).
  const jvm = ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', ...kafkaLog4j(logsDir)]
  const pid = startDetached({ command: 'java', args: javaArgs(libs, 'kafka.Kafka', [broker.props], jvm), logFile: logFile(broker.name), pidFile: pidFile(broker.name) })
  say(`${broker.name}: started (pid ${pid}, 127.0.0.1:${broker.port}, controller ${broker.controllerPort}; broker log ${join(logsDir, 'server.log')})`)
}

/**
 * Starts every broker that is not running (all at once: a KRaft quorum needs two of the three
 * voters before any broker opens its port), then waits until all three answer and each sees the
 * other two in its metadata, so topics with three replicas can be created.
 */
export async function kafkaClusterUp () {
  const missing = BROKERS.filter((b) => brokerPid(b) === undefined)
  for (const b of BROKERS) if (!missing.includes(b)) say(`${b.name}: running (pid ${brokerPid(b)})`)
  for (const b of missing) {
    if (await portOpen(b.port) || await portOpen(b.controllerPort)) throw new Error(`${b.name}: port ${b.port} or ${b.controllerPort} is taken by a process this script did not start`)
  }
  if (missing.length > 0) {
    const libs = await kafkaLibs()
    await Promise.all(missing.map((b) => startBroker(b, libs)))
  }
  const ok = await until(async () => {
    const dead = missing.find((b) => { const pid = brokerPid(b); return pid === undefined || !alive(pid) })
    if (dead !== undefined) throw new Error(`${dead.name} exited while starting; see ${logFile(dead.name)}`)
    const answers = await Promise.all(BROKERS.map(describe))
    return answers.every((a) => a.brokers === BROKERS.length)
  }, 180_000, 1000)
  if (!ok) throw new Error(`Kafka: the three brokers did not all answer within 180 s; see ${join(dir, 'logs')}`)
  say(`Kafka ${KAFKA_VERSION}: 3 brokers up (${KAFKA_BROKERS})`)
  // A broker that was down catches up on every partition before it is back in sync: until then a
  // second loss would stop writes (min.insync.replicas 2), so `up` waits for it.
  // (No topics yet, on a fresh cluster: nothing to catch up on.)
  const inSync = async () => { const r = await replication(); return r === undefined || r.short === 0 }
  if (missing.length > 0 && !(await until(inSync, 120_000, 1000))) {
    say(`Kafka: ${NAMESPACE}* partitions still under-replicated after 120 s; see \`npm run cluster status\``)
  }
}

/** A client failing fast (a status probe must answer now); `retries` for a request a dead broker may take first. */
function client (brokers, retries = 0) {
  return new Kafka({ clientId: 'faceblur-cluster', brokers, connectionTimeout: 1000, requestTimeout: 3000, retry: { retries, initialRetryTime: 300 }, logLevel: logLevel.NOTHING })
}

/** The broker's answer to a metadata request: how many brokers it knows, or the error. */
export async function describe (broker) {
  const admin = client([`127.0.0.1:${broker.port}`]).admin()
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    return { brokers: cluster.brokers.length }
  } catch (err) {
    return { error: err.message }
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

/**
 * The replication of the cluster's topics (the services' namespace): how many, their partitions,
 * replica counts, min.insync.replicas, and how many partitions miss a replica in sync. Undefined
 * before the services made them.
 */
async function replication () {
  // Retried: a broker just killed stays in the metadata until the controller fences it (~9 s).
  const admin = client(BROKERS.map((b) => `127.0.0.1:${b.port}`), 3).admin()
  try {
    await admin.connect()
    const names = (await admin.listTopics()).filter((t) => t.startsWith(NAMESPACE)).sort()
    if (names.length === 0) return undefined
    const { topics } = await admin.fetchTopicMetadata({ topics: names })
    const partitions = topics.flatMap((t) => t.partitions)
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['min.insync.replicas'] })) })
    return {
      topics: names.length,
      partitions: partitions.length,
      replicas: [...new Set(partitions.map((p) => p.replicas.length))].join('/'),
      minIsr: [...new Set(configs.resources.map((r) => r.configEntries[0]?.configValue))].join('/'),
      short: partitions.filter((p) => p.isr.length < p.replicas.length).length
    }
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

/** One line for `status`. */
export async function topicsSummary () {
  try {
    const r = await replication()
    if (r === undefined) return `no ${NAMESPACE}* topics yet`
    return `${r.topics} ${NAMESPACE}* topics, ${r.partitions} partitions: replicas ${r.replicas}, min.insync.replicas ${r.minIsr}, under-replicated ${r.short}`
  } catch (err) {
    return `topics: ${err.message}`
  }
}
