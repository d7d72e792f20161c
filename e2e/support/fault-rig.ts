// What the fault suites share: a gateway, a detector and a blurrer on their own namespace (short
// Kafka sessions, so a dropped member would show), a watcher of the namespace's topics, and the
// count at the end of each case: accepted tasks lost, stuck or never queued (each must be 0).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import sharp from 'sharp'
import t, { type Test } from 'tap'
import type { TaskStatusV1 } from '@faceblur/contracts'
import { Client, freePort, namespace, start, type RunningService } from './harness.js'
import { connect, submitDirect } from './status-watcher.js'

export const seed = readFileSync(join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg'))
// A small photo for the mass cases: the faults are the point, not the model's time.
export const small = await sharp(seed).resize({ width: 640 }).jpeg({ quality: 85 }).toBuffer()
export const pipeline = await connect(namespace)
export const gatewayPort = freePort()
export const client = new Client(`http://127.0.0.1:${gatewayPort}`)
export const health = { detector: freePort(), blurrer: freePort() }
// A short session makes the old failure (a member dropped while a long task runs) certain.
export const stageEnv = { FACEBLUR_KAFKA_SESSION_TIMEOUT_S: '6' }
export const services: Partial<Record<'gateway' | 'detector' | 'blurrer', RunningService>> = {}

export async function startStage (name: 'detector' | 'blurrer', env: Record<string, string> = {}): Promise<RunningService> {
  const port = name === 'detector' ? health.detector : health.blurrer
  const svc = await start(name, { ...stageEnv, [`FACEBLUR_${name.toUpperCase()}_HEALTH_PORT`]: String(port), ...env })
  services[name] = svc
  return svc
}

t.before(async () => {
  await Promise.all([startStage('detector'), startStage('blurrer')])
  services.gateway = await start('gateway', { PORT: String(gatewayPort) })
})
t.teardown(async () => {
  await Promise.all(Object.values(services).map(async (s) => await s?.stop()))
  await pipeline.close()
  // kafkajs keeps reconnecting a client that lived through a broker restart even after it was
  // disconnected (tulios/kafkajs#1147), which would keep this finished file alive for ever. An
  // unref'd timer fires only if something still holds the process: then it ends it.
  setTimeout(() => { process.exit() }, 5000).unref()
})

export const finished = (s: TaskStatusV1): boolean => s.status === 'SUCCESS' || s.status === 'FAILURE'

/** Waits for every task to finish, then counts: lost (never seen) and stuck (seen, not finished). */
export async function settle (t: Test, fault: string, ids: string[], timeoutMs = 120_000): Promise<Map<string, number>> {
  try { await pipeline.waitFor(ids, finished, timeoutMs) } catch { /* counted below */ }
  const by = new Map<string, number>()
  let lost = 0
  let stuck = 0
  let neverQueued = 0
  for (const id of ids) {
    const s = pipeline.statuses.get(id)
    if (s === undefined) lost++
    else if (!finished(s) && !pipeline.submitted.has(id)) neverQueued++
    else if (!finished(s)) stuck++
    else {
      const label = s.status === 'SUCCESS' ? 'SUCCESS' : `FAILURE:${s.error?.code}`
      by.set(label, (by.get(label) ?? 0) + 1)
    }
  }
  t.comment(`fault ${fault}: accepted=${ids.length} ${[...by].map(([k, n]) => `${k}=${n}`).join(' ')} lost=${lost} stuck=${stuck} never-queued=${neverQueued}`)
  if (lost + stuck + neverQueued > 0) {
    // What the gateway's view and the stages say, for whoever reads a failure.
    const unfinished = ids.filter((id) => { const s = pipeline.statuses.get(id); return s === undefined || !finished(s) }).slice(0, 3)
    for (const id of unfinished) t.comment(`unfinished ${id}: watcher ${pipeline.statuses.get(id)?.status}, on submitted topic ${pipeline.submitted.has(id)}, gateway ${JSON.stringify((await client.poll(id)).body).slice(0, 200)}`)
    for (const svc of Object.values(services)) t.comment(`${svc!.name} last lines:\n${svc!.lines.slice(-12).join('\n').slice(0, 4000)}`)
  }
  t.equal(lost, 0, `${fault}: no accepted task lost`)
  t.equal(stuck, 0, `${fault}: no accepted task stuck`)
  // A task answered 200 whose `submitted` event is not on the topic: the producer lost an
  // acknowledged message (kafkajs's idempotent producer did, after broker restarts; see bus.ts).
  t.equal(neverQueued, 0, `${fault}: every accepted task reached the submitted topic`)
  return by
}

/** The stages still serve: a fresh blur task (detector → blurrer) succeeds. */
export async function stillServing (t: Test, fault: string): Promise<void> {
  const id = await submitDirect(pipeline, 'blur', small)
  await pipeline.waitFor([id], finished, 120_000)
  t.equal(pipeline.statuses.get(id)?.status, 'SUCCESS', `${fault}: a new task succeeds afterwards`)
}

export const ready = async (port: number): Promise<number> => {
  try { return (await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(5000) })).status } catch { return 0 }
}

export async function waitForReady (port: number, want: number, withinMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < withinMs) {
    if (await ready(port) === want) return Date.now() - started
    await sleep(250)
  }
  return -1
}
