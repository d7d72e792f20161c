// The soak (`npm run soak`, issue #23; printed, never asserted in CI): the local cluster under a
// steady load at FACEBLUR_SOAK_LOAD (0.7) of the capacity it measures first, for
// FACEBLUR_SOAK_MINUTES (20). Prints each service's resident memory at minute 5 and at the end,
// upload → finished p50/p99 per 5-minute window, and lost/stuck once the load has drained.
// Aims: memory within 15 %, p99 within 1.5× of the first window, 0 lost.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import sharp from 'sharp'
import type { TaskStatusV1 } from '@faceblur/contracts'
import { Client } from '../support/harness.js'
import { percentile } from '../support/stats.js'
import { connect } from '../support/status-watcher.js'
import { until } from '../support/wait.js'
import { type Kind, runLoad } from './load.js'
import { clientEnv, GATEWAYS, NAMESPACE, servicePids } from './nodes.js'

const MINUTES = Number(process.env.FACEBLUR_SOAK_MINUTES ?? 20)
const LOAD = Number(process.env.FACEBLUR_SOAK_LOAD ?? 0.7)
const WINDOW_MS = 5 * 60_000

Object.assign(process.env, clientEnv)
const pipeline = await connect(NAMESPACE)
const seed = readFileSync(join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg'))
const photo = await sharp(seed).resize({ width: 480 }).jpeg({ quality: 80 }).toBuffer()
const say = (line: string): void => { process.stdout.write(`${line}\n`) }
const finished = (s: TaskStatusV1 | undefined): boolean => s?.status === 'SUCCESS' || s?.status === 'FAILURE'
const kindOf = (i: number): Kind => (i % 2 === 0 ? 'detect' : 'blur')

/** Capacity: a burst of 300 mixed tasks, accepted → all finished. */
async function capacity (): Promise<number> {
  const items = Array.from({ length: 300 }, (_, i) => ({ kind: kindOf(i), bytes: photo }))
  const started = Date.now()
  const { accepted } = await runLoad({ gateways: GATEWAYS, items, concurrency: 8, onAccepted: () => {} })
  const ids = accepted.map((a) => a.id)
  await until(() => ids.every((id) => finished(pipeline.statuses.get(id))), 600_000, 'the capacity burst finished')
  return ids.length / ((Date.now() - started) / 1000)
}

function residentMiB (pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return line === null ? Number.NaN : Number(line[1]) / 1024
}

const rate = await capacity()
const perSecond = rate * LOAD
say(`# soak: capacity ${rate.toFixed(1)} tasks/s (detect and blur, 480 px photos); load ${perSecond.toFixed(1)} tasks/s for ${MINUTES} min`)

const submitted: Array<{ id: string, at: number }> = []
const refused = new Map<string, number>()
const clients = GATEWAYS.map((g) => new Client(g.base))
const start = Date.now()
const end = start + MINUTES * 60_000
/** Each service's resident memory at the end of every 5-minute window (whether it levels off). */
const memoryAt: Array<Record<string, number>> = []
const memory = (): Record<string, number> => Object.fromEntries(Object.entries(servicePids()).map(([name, pid]) => [name, residentMiB(pid)]))

// Open loop: one upload every 1/perSecond s, whatever the earlier ones are doing.
const inFlight = new Set<Promise<void>>()
for (let i = 0; Date.now() < end; i++) {
  const at = Date.now()
  const upload = (async () => {
    try {
      const id = await clients[i % clients.length]!.submitOk(kindOf(i), photo)
      submitted.push({ id, at })
    } catch (err) {
      const why = (err as Error).message.slice(0, 40)
      refused.set(why, (refused.get(why) ?? 0) + 1)
    }
  })()
  inFlight.add(upload)
  void upload.finally(() => inFlight.delete(upload))
  if (at - start >= (memoryAt.length + 1) * WINDOW_MS) memoryAt.push(memory())
  await sleep(Math.max(0, start + (i + 1) * 1000 / perSecond - Date.now()))
}
await Promise.all(inFlight)
const ids = submitted.map((s) => s.id)
await until(() => ids.every((id) => finished(pipeline.statuses.get(id))), 300_000).catch(() => {})
const memoryAtEnd = memory()

for (const [name, mib] of Object.entries(memoryAtEnd)) {
  const at5 = memoryAt[0]?.[name] ?? Number.NaN
  const series = memoryAt.map((m) => (m[name] ?? Number.NaN).toFixed(0)).join(', ')
  say(`# soak memory ${name}: ${at5.toFixed(0)} MiB at minute 5, ${mib.toFixed(0)} MiB at the end (${((mib / at5 - 1) * 100).toFixed(1)} %); every 5 min: ${series}, ${mib.toFixed(0)}`)
}
for (let w = 0; w * WINDOW_MS < MINUTES * 60_000; w++) {
  const latencies = submitted
    .filter((s) => s.at - start >= w * WINDOW_MS && s.at - start < (w + 1) * WINDOW_MS)
    .map((s) => { const st = pipeline.statuses.get(s.id); return finished(st) ? Date.parse(st!.at) - s.at : Number.NaN })
    .filter((x) => !Number.isNaN(x))
  say(`# soak window ${w * 5}-${(w + 1) * 5} min: ${latencies.length} tasks, p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms`)
}
const lost = ids.filter((id) => pipeline.statuses.get(id) === undefined).length
const stuck = ids.filter((id) => { const s = pipeline.statuses.get(id); return s !== undefined && !finished(s) }).length
const failed = ids.filter((id) => pipeline.statuses.get(id)?.status === 'FAILURE').length
say(`# soak: accepted=${ids.length} lost=${lost} stuck=${stuck} FAILURE=${failed} refused=${[...refused].map(([k, n]) => `${k}×${n}`).join(', ') || 'none'}`)
await pipeline.close()
process.exit(lost + stuck > 0 ? 1 : 0)
