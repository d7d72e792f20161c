// Types for the cluster test (e2e/cluster), which kills and restores the nodes layout.mjs places.
export const dir: string
export const pidFile: (name: string) => string
export const logFile: (name: string) => string
export const NAMESPACE: string
export const BROKERS: ReadonlyArray<{ name: string, id: number, port: number, controllerPort: number }>
export const KAFKA_BROKERS: string
export const MINIO_NODES: ReadonlyArray<{ name: string, n: number, port: number }>
export const MINIO_CREDENTIALS: { user: string, password: string }
export const SERVICE_NODES: ReadonlyArray<{ name: string, service: 'gateway' | 'detector' | 'blurrer' | 'video', port: number, minio: number }>
