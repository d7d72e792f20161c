// What a million tasks cost the gateway's task view: resident bytes per task, and how long a fresh
// gateway takes to read the status topic and become ready. Fills a namespace of its own with the
// events the pipeline publishes (per task PENDING, STARTED and a SUCCESS with one or two faces,
// one task in a hundred left unfinished), then starts a real gateway on it and one on an empty
// namespace, and compares them.
//   npm run bench:view                 VIEW_TASKS=1000000
//   VIEW_REUSE=view-<stamp>.        measure again on a namespace an earlier run filled (its line starts `# filled`)
// Prints: view: 1000000 tasks, <B> bytes/task, catch-up <S> s
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { codecs, type TaskStatusV1 } from '@faceblur/contracts'
import { freePort, start, type RunningService } from '../support/harness.js'
import { connect } from '../support/status-watcher.js'

const TASKS = Number(process.env.VIEW_TASKS ?? 1_000_000)
const BATCH = 5000
const SETTLE_S = Number(process.env.VIEW_SETTLE_S ?? 30)
const model = { name: 'yolov8n-face', sha256: '52d50f2c689f935251b6e492f1934bfc9086d2853c2628667cbdb28ef8a76178', provider: 'cpu' as const }
const owner = '3f1e9b0c2d4a6e8f0a1b2c3d4e5f6a7b'

function eventsOf (i: number, at: number): TaskStatusV1[] {
  const task_id = randomUUID()
  const kind = i % 2 === 0 ? 'detect' : 'blur'
  const iso = (ms: number): string => new Date(ms).toISOString()
  const pending: TaskStatusV1 = { task_id, kind, status: 'PENDING', stage: 'gateway', at: iso(at), owner }
  const started: TaskStatusV1 = { task_id, kind, status: 'STARTED', stage: 'detector', at: iso(at + 40), owner }
  if (i % 100 === 99) return [pending, started] // still running
  const faces = Array.from({ length: 1 + (i % 2) }, (_, f) => ({ box: [100 + f * 300, 120, 380 + f * 300, 470] as [number, number, number, number], score: 0.87 }))
  const result = kind === 'detect'
    ? { kind: 'detect' as const, image: { width: 1634, height: 1000 }, faces, model }
    : { kind: 'blur' as const, object: { bucket: 'faceblur', key: `results/${task_id}`, content_type: 'image/jpeg', bytes: 183_211 }, faces, model }
  return [pending, started, { task_id, kind, status: 'SUCCESS', stage: kind === 'detect' ? 'detector' : 'blurrer', at: iso(at + 120), owner, result }]
}

const stamp = Date.now()
const full = process.env.VIEW_REUSE ?? `view-${stamp}.`
const empty = `view-empty-${stamp}.`
await (await connect(empty)).close()
if (process.env.VIEW_REUSE === undefined) await fill()

async function fill (): Promise<void> {
  const pipeline = await connect(full)
  const fillStarted = performance.now()
  let events = 0
  let bytes = 0
  for (let i = 0; i < TASKS; i += BATCH) {
    const messages = []
    for (let j = i; j < Math.min(TASKS, i + BATCH); j++) {
      for (const e of eventsOf(j, stamp - 60_000 + j)) {
        const value = codecs.taskStatus.encode(e)
        bytes += value.length
        messages.push({ topic: pipeline.topics.status, key: e.task_id, value })
      }
    }
    await pipeline.bus.publish(messages)
    events += messages.length
  }
  await pipeline.close()
  console.log(`# filled ${full}status: ${TASKS} tasks, ${events} events, ${(bytes / 1e6).toFixed(0)} MB, in ${((performance.now() - fillStarted) / 1000).toFixed(0)} s`)
}

interface Measured { svc: RunningService, readyS: number, rss: number, heap: number }
async function measure (namespace: string): Promise<Measured> {
  const port = freePort()
  const began = performance.now()
  const svc = await start('gateway', { PORT: String(port), FACEBLUR_NAMESPACE: namespace, FACEBLUR_VIEW_CATCHUP_S: '600' })
  for (;;) { // listening comes after catch-up; /ready says when the feed is caught up too
    const res = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined)
    if (res?.status === 200) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const readyS = (performance.now() - began) / 1000
  await new Promise((resolve) => setTimeout(resolve, SETTLE_S * 1000)) // idle: V8's memory reducer collects the catch-up's garbage
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const heap = Number(/faceblur_gateway_nodejs_heap_size_used_bytes (\d+)/.exec(metrics)?.[1])
  console.log(`# ${namespace}: ${metrics.split('\n').filter((l) => /^faceblur_gateway_(nodejs_heap_size_total|nodejs_external_memory|process_resident)/.test(l)).join(', ')}`)
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${svc.child.pid}/status`, 'utf8'))?.[1]) * 1024
  const tasks = (await (await fetch(`http://127.0.0.1:${port}/ready`)).json() as { tasks: number }).tasks
  if (namespace === full && tasks !== TASKS) throw new Error(`the view holds ${tasks} tasks, not ${TASKS}`)
  return { svc, readyS, rss, heap }
}

const base = await measure(empty)
await base.svc.stop()
const loaded = await measure(full)
await loaded.svc.stop()
const perTask = (a: number, b: number): number => Math.round((b - a) / TASKS)
console.log(`# empty view: ready in ${base.readyS.toFixed(1)} s, RSS ${(base.rss / 2 ** 20).toFixed(0)} MiB, heap ${(base.heap / 2 ** 20).toFixed(0)} MiB`)
console.log(`# ${TASKS} tasks: ready in ${loaded.readyS.toFixed(1)} s, RSS ${(loaded.rss / 2 ** 20).toFixed(0)} MiB, heap ${(loaded.heap / 2 ** 20).toFixed(0)} MiB (heap ${perTask(base.heap, loaded.heap)} bytes/task)`)
console.log(`view: ${TASKS} tasks, ${perTask(base.rss, loaded.rss)} bytes/task, catch-up ${(loaded.readyS - base.readyS).toFixed(1)} s`)
