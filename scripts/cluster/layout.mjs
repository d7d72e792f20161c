// Where each node of the local cluster (`npm run cluster`) listens and keeps its pid, log and data.
// Every port is clear of the single-node infra (Kafka 9092/9093, MinIO 9000/9001) and of the
// services `npm start` runs (8000-8003), so both can run side by side.
import { join } from 'node:path'
import { cache } from '../infra/binaries.mjs'

export const dir = join(cache, 'cluster')
export const pidFile = (name) => join(dir, 'pids', `${name}.pid`)
export const logFile = (name) => join(dir, 'logs', `${name}.log`)

/** Topics and consumer groups of the cluster's services: `cluster.faceblur.tasks.submitted`, … */
export const NAMESPACE = 'cluster.'

/** Three combined KRaft nodes (each a broker and a controller voter). */
export const BROKERS = [1, 2, 3].map((id) => ({
  name: `kafka-${id}`,
  id,
  port: 19091 + id, // 19092-19094
  controllerPort: 19191 + id, // 19192-19194
  props: join(dir, 'kafka', `node-${id}.properties`),
  data: join(dir, 'kafka', `node-${id}`)
}))
export const KAFKA_BROKERS = BROKERS.map((b) => `127.0.0.1:${b.port}`).join(',')

/** Four MinIO nodes, one drive each: one erasure set of 4 (EC:2, so any 3 nodes can write, any 2 read). */
export const MINIO_NODES = [1, 2, 3, 4].map((n) => ({
  name: `minio-${n}`,
  n,
  port: 19000 + n, // 19001-19004
  consolePort: 19010 + n, // 19011-19014
  drive: join(dir, 'minio', `drive${n}`)
}))
export const MINIO_ENDPOINTS = MINIO_NODES.map((m) => `http://127.0.0.1:${m.port}${m.drive}`)
export const MINIO_CREDENTIALS = { user: 'faceblur', password: 'faceblur-secret' } // the same as infra.mjs's

/**
 * The services, two of each but the video stage, each with its own HTTP port (the gateway's API,
 * a stage's /health and /ready), under the variable its config.ts reads.
 *
 * `minio`: the MinIO node the service talks to first; the others follow it in its S3_ENDPOINT. Any
 * node of a distributed MinIO serves every object (each reads and writes the shards on all four
 * drives), so the services are spread over the four and two instances of a kind never share one.
 * When a node dies the erasure set keeps working on the other three, and the services whose first
 * node it was move on to the next one at the first refused connection (object-store.ts).
 */
export const SERVICE_NODES = [
  { name: 'gateway-1', service: 'gateway', port: 19080, minio: 1 },
  { name: 'gateway-2', service: 'gateway', port: 19081, minio: 2 },
  { name: 'detector-1', service: 'detector', port: 19181, minio: 3 },
  { name: 'detector-2', service: 'detector', port: 19182, minio: 4 },
  { name: 'blurrer-1', service: 'blurrer', port: 19281, minio: 1 },
  { name: 'blurrer-2', service: 'blurrer', port: 19282, minio: 2 },
  { name: 'video', service: 'video', port: 19381, minio: 3 }
]

/** The variable that sets each service's HTTP port. */
export const PORT_VARIABLE = {
  gateway: 'PORT',
  detector: 'FACEBLUR_DETECTOR_HEALTH_PORT',
  blurrer: 'FACEBLUR_BLURRER_HEALTH_PORT',
  video: 'FACEBLUR_VIDEO_HEALTH_PORT'
}
