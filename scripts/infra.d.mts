export type ServerName = 'kafka' | 'minio'

export const KAFKA_VERSION: string
export const MINIO_MODULE: string
export const LOCAL: {
  kafka: { host: string, port: number, controllerPort: number }
  minio: { host: string, port: number, consolePort: number, user: string, password: string }
}

/** Starts the local Kafka (or reuses one on its port); nothing when KAFKA_BROKERS is set. */
export function kafkaUp (): Promise<unknown>
/** Starts the local MinIO (or reuses one on its port); nothing when S3_ENDPOINT is set. */
export function minioUp (): Promise<unknown>
/** SIGTERM (SIGKILL after 20 s); resolves once the process is gone and its port refuses connections. */
export function stopServer (name: ServerName): Promise<unknown>
/** The pid of the local server this script started, when it runs. */
export function serverPid (name: ServerName): number | undefined
/** Whether something accepts connections on the port (within 1 s). */
export function portOpen (port: number, host?: string): Promise<boolean>
