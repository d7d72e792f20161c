// A load test of the gateway, like the original service's locust test: concurrent clients each
// uploading an image and polling its result, for a fixed time. Prints throughput, latency
// percentiles and errors by status.
//   npm run bench:load                LOAD_CLIENTS=16 LOAD_SECONDS=30 LOAD_POLL_MS=200
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client, freePort, start } from '../support/harness.js'
import { ms, percentile } from '../support/stats.js'

const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 16)
const SECONDS = Number(process.env.LOAD_SECONDS ?? 30)
const POLL_MS = Number(process.env.LOAD_POLL_MS ?? 200)
const root = join(import.meta.dirname, '../..')
const photos = [readFileSync(join(root, '../shared/fixtures/seed_test.jpg')), readFileSync(join(root, 'e2e/fixtures/astronaut.png'))]

const port = freePort()
const services = await Promise.all([start('gateway', { PORT: String(port), FACEBLUR_MAX_BACKLOG: '100000', FACEBLUR_MAX_CONCURRENT_UPLOADS: '64', FACEBLUR_MAX_UPLOADS_PER_CLIENT: '64' }), start('detector'), start('blurrer')])
const client = new Client(`http://127.0.0.1:${port}`)

const uploadMs: number[] = []
const pollMs: number[] = []
const taskMs: number[] = []
const errors = new Map<string, number>()
const count = (key: string): void => { errors.set(key, (errors.get(key) ?? 0) + 1) }
let requests = 0
let done = 0
const deadline = Date.now() + SECONDS * 1000

await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
  for (let i = 0; Date.now() < deadline; i++) {
    const kind = (c + i) % 2 === 0 ? 'detect' : 'blur'
    const s = performance.now()
    let res: Response
    try {
      res = await client.submit(kind, photos[(c + i) % photos.length]!)
    } catch (err) { count(`upload: ${(err as Error).message}`); continue }
    requests++
    uploadMs.push(performance.now() - s)
    if (res.status !== 200) { count(`upload HTTP ${res.status}`); await res.body?.cancel(); await sleep(POLL_MS); continue }
    const { task_id: id } = await res.json() as { task_id: string }
    while (Date.now() < deadline + 60_000) {
      await sleep(POLL_MS)
      const p0 = performance.now()
      const poll = await fetch(`${client.base}/task_result/${id}`)
      requests++
      pollMs.push(performance.now() - p0)
      if (poll.status !== 200) { count(`poll HTTP ${poll.status}`); await poll.body?.cancel(); break }
      const body = await poll.json() as { status: string }
      if (body.status === 'SUCCESS' || body.status === 'FAILURE') {
        if (body.status === 'FAILURE') count('task FAILURE')
        done++
        taskMs.push(performance.now() - s)
        break
      }
    }
  }
}))
await Promise.all(services.map((s) => s.stop()))

const row = (name: string, xs: number[]): string => `${name.padEnd(22)} n=${String(xs.length).padStart(5)}  p50 ${ms(percentile(xs, 0.5)).padStart(8)}  p95 ${ms(percentile(xs, 0.95)).padStart(8)}  p99 ${ms(percentile(xs, 0.99)).padStart(8)}`
console.log(`load test: ${CLIENTS} clients for ${SECONDS} s, each uploading (detect and blur alternately) and polling every ${POLL_MS} ms`)
console.log(`throughput             ${(done / SECONDS).toFixed(2)} tasks/s finished, ${(requests / SECONDS).toFixed(1)} requests/s`)
console.log(row('upload request', uploadMs))
console.log(row('poll request', pollMs))
console.log(row('upload → finished', taskMs))
console.log(`errors                 ${errors.size === 0 ? 'none' : [...errors].map(([k, v]) => `${k}: ${v}`).join(', ')}`)
