// Keeps a group's consumer running: restarts after crashes and stalls, and reports its health.
import type { Consumer, Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import { consumeInto, DEFAULT_REBALANCE_TIMEOUT_MS, newConsumer, type ConsumeOptions } from './bus-consumer.js'
import { stallOf } from './consumer-stall.js'
import { backoffMs } from './retry.js'

/** Whether a consumer is really consuming, for `/ready` and `/metrics`. */
export interface ConsumerHealth {
  /** Joined its group, and fetched or heartbeated within `staleMs`. */
  running: boolean
  /** When it last fetched, heartbeated or committed (epoch ms; at first, when it was started). */
  lastActiveAt: number
  /** Consumer restarts after a crash (by kafkajs itself or by the supervisor). */
  restarts: number
  /** Group joins: the first one and one per rebalance. */
  rebalances: number
  lastError?: string
}

export interface Subscription {
  stop: () => Promise<void>
  health: () => ConsumerHealth
}

/** A consumer counts as not running (for /ready) when it has neither fetched nor heartbeated for this long. */
const STALE_MS = 12_000
/** ... and is replaced by a new one after this long, as is one out of its group this much longer than a rebalance may take. */
const STALL_MS = 30_000

/** One subscription's state, across the consumers that serve it one after another. */
interface Supervision {
  readonly kafka: Kafka
  readonly log: Logger
  readonly options: ConsumeOptions
  /** The bus's open consumers, which it disconnects on close. */
  readonly consumers: Set<Consumer>
  /** Resolves the first join, which `superviseConsumer` waits for. */
  readonly firstJoin: () => void
  current: Consumer | undefined
  joined: boolean
  lastActiveAt: number
  /** When it last left its group (or was launched): see consumer-stall.ts. */
  outOfGroupSince: number
  restarts: number
  rebalances: number
  lastError: string | undefined
  stopped: boolean
  /** Relaunches since the last join, for the backoff. */
  failures: number
  relaunch: NodeJS.Timeout | undefined
  /** A relaunch is waiting out its backoff: the watchdog waits for it. */
  relaunching: boolean
}

/**
 * Runs one consumer and keeps it running: kafkajs restarts a consumer itself after some crashes
 * but not after others (a commit refused because the member was dropped, a broker gone too long);
 * those are restarted here with backoff, for as long as the subscription lives. Resolves once the
 * group has assigned partitions the first time.
 */
export async function superviseConsumer (kafka: Kafka, log: Logger, options: ConsumeOptions, consumers: Set<Consumer>): Promise<Subscription> {
  let firstJoin: () => void = () => {}
  const joinedOnce = new Promise<void>((resolve) => { firstJoin = resolve })
  const s: Supervision = {
    kafka, log, options, consumers, firstJoin,
    current: undefined, joined: false, lastActiveAt: Date.now(), outOfGroupSince: Date.now(), restarts: 0, rebalances: 0, lastError: undefined,
    stopped: false, failures: 0, relaunch: undefined, relaunching: false
  }
  const watchdog = setInterval(() => { replaceIfStalled(s) }, 5000)
  watchdog.unref()

  try {
    await launch(s)
  } catch (err) {
    // Nobody holds a subscription that never started: nothing may relaunch it behind the caller's back.
    s.stopped = true
    clearInterval(watchdog)
    if (s.current !== undefined) {
      s.consumers.delete(s.current)
      await s.current.disconnect().catch(() => {}) // it failed already; its own error is the one to report
    }
    throw err
  }
  await joinedOnce
  return {
    health: () => healthOf(s),
    stop: async () => {
      s.stopped = true
      clearTimeout(s.relaunch)
      clearInterval(watchdog)
      if (s.current === undefined) return
      s.consumers.delete(s.current)
      await s.current.disconnect() // waits for the message in hand, then leaves the group
    }
  }
}

function healthOf (s: Supervision): ConsumerHealth {
  return {
    running: !s.stopped && s.joined && Date.now() - s.lastActiveAt < STALE_MS,
    lastActiveAt: s.lastActiveAt,
    restarts: s.restarts,
    rebalances: s.rebalances,
    ...(s.lastError === undefined ? {} : { lastError: s.lastError })
  }
}

const alive = (s: Supervision): void => { s.lastActiveAt = Date.now() }
const leftGroup = (s: Supervision): void => {
  if (s.joined) s.outOfGroupSince = Date.now()
  s.joined = false
}

async function launch (s: Supervision): Promise<void> {
  const consumer = newConsumer(s.kafka, s.options)
  s.current = consumer
  s.consumers.add(consumer)
  watch(s, consumer)
  // Stopped, or given up on by the watchdog, while it was connecting: leave nothing running behind
  // the subscription (a replaced consumer that joined late would be a second member).
  const superseded = (): boolean => s.stopped || s.current !== consumer
  await consumer.connect()
  if (superseded()) return await consumer.disconnect()
  await consumeInto(consumer, s.options, () => { alive(s) })
  if (superseded()) await consumer.disconnect()
}

/** Follows `consumer`'s life: joins and rebalances, signs of activity, crashes. */
function watch (s: Supervision, consumer: Consumer): void {
  const { GROUP_JOIN, FETCH, HEARTBEAT, COMMIT_OFFSETS, CRASH, REBALANCING } = consumer.events
  const active = (): void => { alive(s) }
  consumer.on(GROUP_JOIN, () => { s.joined = true; s.rebalances++; s.failures = 0; alive(s); s.firstJoin() })
  consumer.on(FETCH, active)
  consumer.on(HEARTBEAT, active)
  consumer.on(COMMIT_OFFSETS, active)
  consumer.on(REBALANCING, () => { leftGroup(s) })
  consumer.on(CRASH, ({ payload }) => { crashed(s, consumer, payload.error, payload.restart) })
}

function crashed (s: Supervision, consumer: Consumer, error: Error, restart: boolean): void {
  if (consumer !== s.current) return // one already replaced: its successor is on its way
  leftGroup(s)
  s.lastError = error.message
  if (s.stopped) return
  s.restarts++
  if (restart) {
    s.log.warn({ groupId: s.options.groupId, err: error }, 'consumer crashed; kafkajs restarts it')
    return
  }
  // kafkajs has disconnected it and will not come back: a new consumer takes its place.
  s.consumers.delete(consumer)
  scheduleRelaunch(s, error)
}

function scheduleRelaunch (s: Supervision, cause: unknown): void {
  if (s.stopped) return
  s.relaunching = true
  const delay = backoffMs(++s.failures, { initialDelayMs: 1000, maxDelayMs: 30_000 })
  s.log.error({ groupId: s.options.groupId, err: cause, restartInMs: delay }, 'consumer stopped; restarting it')
  s.relaunch = setTimeout(() => {
    // From here the new consumer has STALL_MS to connect, join and fetch, like any other: one whose
    // connect or join hangs (a broker restarting under it) is replaced by the watchdog, not waited
    // on for ever.
    s.relaunching = false
    alive(s)
    s.outOfGroupSince = Date.now()
    const attempt = launch(s)
    const consumer = s.current
    attempt.catch((err: unknown) => {
      if (s.current !== consumer || consumer === undefined) return // already replaced
      s.consumers.delete(consumer)
      consumer.disconnect().catch(() => {})
      scheduleRelaunch(s, err)
    })
  }, delay)
}

// kafkajs can also stop fetching without a crash (e.g. after a broker restart, tulios/kafkajs#660),
// or stay out of its group while looking busy: such a consumer is replaced.
function replaceIfStalled (s: Supervision): void {
  if (s.stopped || s.relaunching) return
  const stall = stallOf(s, Date.now(), { silentMs: STALL_MS, outOfGroupMs: (s.options.rebalanceTimeoutMs ?? DEFAULT_REBALANCE_TIMEOUT_MS) + STALL_MS })
  if (stall === undefined) return
  leftGroup(s)
  s.restarts++
  const stale = s.current
  s.current = undefined // a launch of it still pending finds itself superseded
  if (stale !== undefined) {
    s.consumers.delete(stale)
    stale.disconnect().catch(() => {}) // not awaited: it may wait for a message in hand
  }
  scheduleRelaunch(s, new Error(stall))
}
