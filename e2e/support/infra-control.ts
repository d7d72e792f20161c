// Takes the local Kafka or MinIO away and brings it back, for the fault-injection tests.
// External infrastructure (KAFKA_BROKERS or S3_ENDPOINT set) is not ours to stop: those tests
// skip with `skipUnlessLocal` as the reason.
import { kafkaUp, minioUp, stopServer } from '../../scripts/infra.mjs'

export const localInfra: boolean = !process.env.KAFKA_BROKERS && !process.env.S3_ENDPOINT

/** For `t.test(name, { skip: skipUnlessLocal }, ...)`: false, or why the fault case cannot run. */
export const skipUnlessLocal: false | string = localInfra
  ? false
  : 'Kafka or MinIO is external (KAFKA_BROKERS or S3_ENDPOINT set): only local servers can be stopped'

/** Resolves once the broker has exited and 127.0.0.1:9092 refuses connections. */
export async function stopKafka (): Promise<void> { await stopServer('kafka') }
/** Resolves once the broker accepts connections again (same data dir, same cluster id). */
export async function startKafka (): Promise<void> { await kafkaUp() }
/** Resolves once MinIO has exited and 127.0.0.1:9000 refuses connections. */
export async function stopMinio (): Promise<void> { await stopServer('minio') }
/** Resolves once MinIO answers its health check again (same data dir: objects survive). */
export async function startMinio (): Promise<void> { await minioUp() }
