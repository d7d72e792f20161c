// The servers' binaries, fetched or built once into the cache (FACEBLUR_CACHE_DIR, default
// ~/.cache/faceblur) and shared by scripts/infra.mjs, scripts/cluster.mjs and the Docker stand-ins:
// Apache Kafka's jars from Maven Central, MinIO built from its Go module.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../lib/child.mjs'

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const cache = process.env.FACEBLUR_CACHE_DIR ?? join(homedir(), '.cache', 'faceblur')

export const KAFKA_VERSION = /<kafka\.version>([^<]+)</.exec(readFileSync(join(repo, 'infra/kafka/pom.xml'), 'utf8'))[1]
// MinIO has no semver tags; this pseudo-version is the newest commit the Go module proxy serves.
export const MINIO_MODULE = 'github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c'

const say = (msg) => process.stdout.write(`[infra] ${msg}\n`)

/** Kafka's jars (broker, tools, a log4j2 binding), resolved once with Maven. */
export async function kafkaLibs () {
  const dir = join(cache, 'kafka', KAFKA_VERSION, 'libs')
  if (existsSync(join(dir, '.complete'))) return dir
  say(`resolving Apache Kafka ${KAFKA_VERSION} from Maven Central into ${dir}`)
  rmSync(dir, { recursive: true, force: true })
  await run('mvn', ['-q', '-B', '-f', join(repo, 'infra/kafka/pom.xml'), 'dependency:copy-dependencies',
    '-DincludeScope=runtime', `-DoutputDirectory=${dir}`])
  writeFileSync(join(dir, '.complete'), KAFKA_VERSION)
  return dir
}

/** `java` arguments running `mainClass` from the jars in `libs`. */
export function javaArgs (libs, mainClass, args, extraJvm = []) {
  return ['-cp', `${libs}/*`, ...extraJvm, mainClass, ...args]
}

/** JVM flags that send a broker's log to `logsDir`/server.log. */
export const kafkaLog4j = (logsDir) => [`-Dlog4j2.configurationFile=${join(repo, 'infra/kafka/log4j2.properties')}`, `-Dkafka.logs.dir=${logsDir}`]

/** A new KRaft cluster id (Kafka's Uuid text form). */
export const newKafkaClusterId = () => randomBytes(16).toString('base64url')

/** Formats a KRaft node's storage; `-g` leaves an already formatted one alone. */
export async function formatKafkaStorage ({ libs, props, clusterId, logsDir }) {
  await run('java', javaArgs(libs, 'kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', props, '-g'], kafkaLog4j(logsDir)), { stdio: 'ignore' })
}

/** The MinIO server binary, built once from its Go module into the cache (also the Docker stand-in's). */
export async function minioBinary () {
  const version = MINIO_MODULE.split('@')[1]
  const dir = join(cache, 'minio', version)
  const bin = join(dir, 'minio')
  if (existsSync(bin)) return bin
  say(`building MinIO (${MINIO_MODULE}) with go install into ${dir}; once per machine, several minutes`)
  // Built to a temporary name first: an interrupted build never leaves a half binary in the cache.
  const tmp = join(dir, 'tmp')
  await run('go', ['install', '-tags', 'kqueue', MINIO_MODULE], {
    env: { ...process.env, GOBIN: tmp, CGO_ENABLED: '0', GOFLAGS: '-trimpath' }
  })
  renameSync(join(tmp, 'minio'), bin)
  rmSync(tmp, { recursive: true, force: true })
  return bin
}
