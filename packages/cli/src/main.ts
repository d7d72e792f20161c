#!/usr/bin/env node
// The `faceblur` command. The only module that reads process.env, process.argv or exits.
import { randomUUID } from 'node:crypto'
import { isFaceBlurError, namesFor } from '@faceblur/contracts'
import { busFromConfig, loadEnvConfig, provision, SharedEnv, storeFromConfig } from '@faceblur/service-kit'
import { pino } from 'pino'
import { parseCli, USAGE, UsageError } from './args.js'
import { runSubmit, SubmitError } from './submit.js'
import { exitCode, formatSummary } from './summary.js'

function usageError (message: string): never {
  process.stderr.write(`faceblur: ${message}\n\n${USAGE}\n`)
  process.exit(2)
}

let args
try {
  args = parseCli(process.argv.slice(2))
} catch (err) {
  if (err instanceof UsageError) usageError(err.message)
  throw err
}
if (args.command === 'help') {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}

let config
try {
  config = loadEnvConfig(SharedEnv, process.env)
} catch (err) {
  process.stderr.write(`faceblur: ${(err as Error).message}\n`)
  process.exit(2)
}
// The Kafka client's errors go to stderr as JSON lines (more with LOG_LEVEL); stdout is the summary's.
const level = process.env.LOG_LEVEL === undefined ? 'error' : config.LOG_LEVEL
const logger = pino({ name: 'faceblur', level }, pino.destination(2))
const bus = busFromConfig(config, 'cli', logger)
const store = storeFromConfig(config)
const names = namesFor(config.FACEBLUR_NAMESPACE)

// Ctrl-C: stop taking files, let those in flight finish and be recorded, print the summary.
// A second Ctrl-C leaves at once (the state file still holds every file recorded so far).
const abort = new AbortController()
process.on('SIGINT', () => {
  if (abort.signal.aborted) process.exit(130)
  process.stderr.write('\nfaceblur: stopping after the files in flight (Ctrl-C again to quit now)\n')
  abort.abort()
})

/** Resolves false when `probe` has not answered true within `ms`. */
const within = async (ms: number, probe: Promise<boolean>): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  try { return await Promise.race([probe, late]) } finally { clearTimeout(timer) }
}

let code: number
try {
  // Say at once when Kafka is not there, rather than after the client's minutes of retries.
  if (process.env.LOG_LEVEL === undefined) logger.level = 'silent'
  if (!(await within(15_000, bus.ready([])))) throw new SubmitError(`cannot reach Kafka at ${config.KAFKA_BROKERS} (KAFKA_BROKERS) within 15 s`, 1)
  logger.level = level
  // Topics and bucket, as every service creates them at start-up (idempotent).
  await provision(bus, store, names.topics, config)
  const summary = await runSubmit(args, {
    bus,
    store,
    topics: names.topics,
    groupId: `${config.FACEBLUR_NAMESPACE}faceblur-cli-${randomUUID()}`,
    progress: process.stderr,
    signal: abort.signal
  })
  if (args.stats) summary.stats = { maxRssBytes: process.resourceUsage().maxRSS * 1024 }
  process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary, { wait: args.wait }))
  code = abort.signal.aborted ? 130 : exitCode(summary, { wait: args.wait })
} catch (err) {
  // Known failures (no such folder, MinIO or Kafka unreachable) in one line; the stack is for debugging.
  const known = err instanceof SubmitError || isFaceBlurError(err)
  const detail = known && level !== 'debug' && level !== 'trace' ? (err as Error).message : (err as Error).stack ?? String(err)
  process.stderr.write(`faceblur: ${detail}\n`)
  code = err instanceof SubmitError ? err.exitCode : 1
}
await within(5_000, bus.close().then(() => true, () => false))
process.exitCode = code
// Leave even if a client library keeps a timer alive.
setTimeout(() => process.exit(code), 2_000).unref()
