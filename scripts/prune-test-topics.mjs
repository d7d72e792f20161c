#!/usr/bin/env node
// Deletes the topics earlier test runs left on the local Kafka. Each test file works under a
// namespace of its own (a random id or a millisecond stamp in its name), and Kafka loads every
// partition of every topic before it opens its port: left alone, they made its start take minutes.
//
//   node scripts/prune-test-topics.mjs         # run by `npm test` before the tests
//
// It deletes only topics named like a test's (see TEST_TOPIC): the default names and a
// deployment's namespace ("staging.") never match. It does nothing while another `npm test` on
// this machine is running (its pid is in the cache's run/tests folder), so it never pulls the
// topics from under a live run.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const { Kafka, logLevel } = createRequire(join(repo, 'packages/service-kit/package.json'))('kafkajs')

/** A namespace with a random id (8 hex digits) or a millisecond stamp, or the adapters' own test topics. */
export const TEST_TOPIC = /^(?:[\w-]*?(?:[0-9a-f]{8}|\d{13})[\w-]*\.|faceblur\.test\.)/

const runs = join(process.env.FACEBLUR_CACHE_DIR ?? join(homedir(), '.cache', 'faceblur'), 'run', 'tests')

const alive = (pid) => { try { process.kill(pid, 0); return true } catch (err) { return err.code === 'EPERM' } }

/** Registers this test run (the pid given, its shell's); returns the pids of other live runs. */
function register (pid) {
  mkdirSync(runs, { recursive: true })
  const others = []
  for (const name of readdirSync(runs)) {
    const other = Number(name)
    if (other === pid) continue
    if (Number.isInteger(other) && alive(other)) others.push(other)
    else rmSync(join(runs, name), { force: true })
  }
  writeFileSync(join(runs, String(pid)), '')
  return others
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command = 'prune', pidArg = String(process.ppid)] = process.argv.slice(2)
  const pid = Number(pidArg)
  if (command === 'done') {
    if (existsSync(join(runs, String(pid)))) rmSync(join(runs, String(pid)))
    process.exit(0)
  }
  const others = register(pid)
  if (others.length > 0) {
    console.error(`[prune] another test run is live (pid ${others.join(', ')}): its topics stay`)
    process.exit(0)
  }
  const kafka = new Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'faceblur-prune', logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const all = await admin.listTopics()
    const old = all.filter((t) => TEST_TOPIC.test(t))
    const t0 = Date.now()
    for (let i = 0; i < old.length; i += 200) await admin.deleteTopics({ topics: old.slice(i, i + 200), timeout: 60_000 })
    console.error(`[prune] deleted ${old.length} topics of earlier test runs in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${all.length - old.length} left`)
  } finally {
    await admin.disconnect()
  }
}
