import type { Logger } from 'pino'

/** Runs `close` once on SIGINT/SIGTERM, then exits; a second signal exits at once. */
export function onShutdown (logger: Logger, close: () => Promise<void>): void {
  let closing = false
  const handler = (signal: string): void => {
    if (closing) process.exit(1)
    closing = true
    logger.info({ signal }, 'shutting down: finishing in-flight work')
    close().then(() => {
      logger.info('stopped cleanly')
      process.exit(0)
    }, (err: unknown) => {
      logger.error({ err }, 'error while stopping')
      process.exit(1)
    })
  }
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
}
