import { pino, type Logger } from 'pino'

export type { Logger }

/** Structured JSON logs on stdout; a child logger per task carries `task_id`. */
export function createLogger (service: string, level: string): Logger {
  return pino({ name: service, level, base: { service } })
}
