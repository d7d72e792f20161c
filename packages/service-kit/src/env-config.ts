import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Value } from '@sinclair/typebox/value'

/**
 * The settings every service shares: where Kafka and the object store are. Environment names are
 * the keys; defaults point at the local servers that `pnpm infra up` starts.
 */
export const SharedEnv = {
  KAFKA_BROKERS: Type.String({ default: '127.0.0.1:9092', description: 'comma-separated host:port list' }),
  KAFKA_CLIENT_ID: Type.String({ default: 'faceblur' }),
  FACEBLUR_NAMESPACE: Type.String({ default: '', pattern: '^[a-zA-Z0-9._-]*$', description: 'prefix of every topic and consumer group' }),
  FACEBLUR_TOPIC_PARTITIONS: Type.Integer({ default: 6, minimum: 1, description: 'partitions of each topic the project creates' }),
  FACEBLUR_KAFKA_REPLICATION_FACTOR: Type.Integer({ default: 1, minimum: 1, description: 'replicas of each topic the project creates: 1 for the single local broker, 3 on a cluster (`npm run cluster`). Above 1 each topic also gets min.insync.replicas = min(2, this), so a write (producers use acks=all) is on two brokers before it is acknowledged, and is refused rather than kept on one. Topics that already exist keep their replica count' }),
  S3_ENDPOINT: Type.String({ default: 'http://127.0.0.1:9000', description: 'S3/MinIO endpoint URL; several nodes of one store comma-separated (distributed MinIO): calls move to the next when one does not answer' }),
  S3_ACCESS_KEY: Type.String({ default: 'faceblur' }),
  S3_SECRET_KEY: Type.String({ default: 'faceblur-secret' }),
  S3_REGION: Type.String({ default: 'us-east-1' }),
  S3_BUCKET: Type.String({ default: 'faceblur', minLength: 3 }),
  FACEBLUR_RESULT_TTL_HOURS: Type.Number({ default: 24, exclusiveMinimum: 0, description: 'hours a finished task and its result stay available' }),
  FACEBLUR_TASK_MAX_AGE_HOURS: Type.Number({ default: 6, exclusiveMinimum: 0, description: 'hours a task may stay unfinished; then the gateway ends it FAILURE FB_ERR_EXPIRED and deletes its upload' }),
  FACEBLUR_MAX_UPLOAD_BYTES: Type.Integer({ default: 25 * 1024 * 1024, minimum: 1, description: 'bytes (25 MiB): largest upload, and largest source a stage reads' }),
  FACEBLUR_MAX_VIDEO_BYTES: Type.Integer({ default: 1024 * 1024 * 1024, minimum: 1, description: 'bytes (1 GiB): largest video upload (`/blur_video`), and largest video the video stage reads' }),
  FACEBLUR_KEEP_ORIGINALS: Type.Boolean({ default: false, description: 'keep uploads/{task_id} once its task is done' }),
  LOG_LEVEL: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'),
    Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { default: 'info' })
} satisfies TProperties

/** The settings of every stage (detector, blurrer): the kernel's deadlines, retries and group timings. */
export const StageEnv = {
  ...SharedEnv,
  // The largest allowed image (64 MP) takes ~10 s to detect on 2 cores; a task past this fails.
  FACEBLUR_TASK_TIMEOUT_S: Type.Number({ default: 120, exclusiveMinimum: 0, description: 'seconds one task may run before it fails with FB_ERR_TASK_TIMEOUT' }),
  FACEBLUR_RETRY_MAX_S: Type.Number({ default: 120, minimum: 0, description: 'seconds a task retries while Kafka or the object store is unavailable, then fails with the cause' }),
  FACEBLUR_KAFKA_SESSION_TIMEOUT_S: Type.Number({ default: 10, minimum: 6, description: 'a stage silent this long leaves its group (its partitions move to its peers)' }),
  FACEBLUR_KAFKA_REBALANCE_TIMEOUT_S: Type.Number({ default: 60, minimum: 1, description: 'how long a rebalance waits for members to rejoin' }),
  FACEBLUR_HEALTH_HOST: Type.String({ default: '127.0.0.1' })
} satisfies TProperties

/**
 * Reads a service's settings from an environment-like record: applies defaults, converts strings
 * to numbers and booleans, validates strictly, and freezes. Throws one message naming every bad
 * variable, so a misconfigured service stops at boot instead of failing on the first task.
 */
export function loadEnvConfig<P extends TProperties> (properties: P, env: Record<string, string | undefined>): Readonly<Static<TObject<P>>> {
  const schema = Type.Object(properties)
  const picked: Record<string, unknown> = {}
  for (const name of Object.keys(properties)) {
    const raw = env[name]
    if (raw !== undefined && raw !== '') picked[name] = raw
  }
  const value = Value.Convert(schema, Value.Default(schema, picked))
  const compiled = TypeCompiler.Compile(schema)
  const errors = [...compiled.Errors(value)].map((e) => `${e.path.slice(1)}=${JSON.stringify(env[e.path.slice(1)])}: ${e.message}`)
  if (errors.length > 0) throw new Error(`invalid configuration: ${errors.join('; ')}`)
  return Object.freeze(value as Static<TObject<P>>)
}

export type SharedConfig = Static<TObject<typeof SharedEnv>>
export type StageConfig = Static<TObject<typeof StageEnv>>
