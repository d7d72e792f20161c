// Starts the real services against the real Kafka and MinIO (provisioned by `npm test`, see
// scripts/dev.sh) and talks to them as a client would.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TaskResultResponse } from '@faceblur/contracts'
import { startService } from '../../scripts/services.mjs'

export interface RunningService { name: string, child: import('node:child_process').ChildProcess, stop: () => Promise<number | null>, lines: string[] }

/**
 * Every test file runs under a Kafka namespace of its own: its topics and consumer groups are
 * new, so it neither replays earlier runs' events nor meets a developer's `npm start`.
 */
export const namespace = `test-${randomUUID().slice(0, 8)}.`

let nextPort = 18_000 + (process.pid % 1000) * 10

/** A fresh gateway port per call, so tests never collide with a developer's `npm start`. */
export const freePort = (): number => nextPort++

const everyChild = new Set<import('node:child_process').ChildProcess>()
// Whatever happens to a test file, it leaves no service behind.
process.on('exit', () => { for (const child of everyChild) child.kill('SIGKILL') })

/**
 * NODE_OPTIONS for the processes a test starts (services, the CLI): the test's own, minus the
 * `--import` hooks tap adds (@tapjs/processinfo, which tracks children for coverage: off here), so
 * they run as in production; the hooks cost each start ~0.2 s of CPU and an entry in `.tap/`.
 */
export const childNodeOptions = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter((o) => o !== '' && !/^"?--import=.*@tapjs/.test(o)).join(' ')

export async function start (name: 'gateway' | 'detector' | 'blurrer' | 'video', env: Record<string, string> = {}): Promise<RunningService> {
  const lines: string[] = []
  const svc = startService(name, {
    // Rate limiting off unless a test turns it on: tests poll far faster than people do.
    env: { NODE_OPTIONS: childNodeOptions, FACEBLUR_NAMESPACE: namespace, FACEBLUR_DETECTOR_HEALTH_PORT: '0', FACEBLUR_BLURRER_HEALTH_PORT: '0', FACEBLUR_VIDEO_HEALTH_PORT: '0', FACEBLUR_RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'info', ...env },
    onLine: (line: string) => { lines.push(line) }
  })
  everyChild.add(svc.child)
  svc.child.once('exit', () => everyChild.delete(svc.child))
  // A running service must not keep a finished (or failed) test file alive: the exit hook
  // above stops it when the file's process ends.
  svc.child.unref()
  for (const stream of [svc.child.stdout, svc.child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.()
  try {
    await svc.started
  } catch (err) {
    await svc.stop()
    throw new Error(`${(err as Error).message}; its last output:\n${lines.slice(-8).join('\n')}`)
  }
  return { name, child: svc.child, stop: svc.stop, lines }
}

const ROUTES = { detect: 'detect_faces', blur: 'blur_faces', video: 'blur_video' } as const

export class Client {
  constructor (readonly base: string) {}

  async submit (kind: 'detect' | 'blur' | 'video', bytes: Buffer, filename = 'photo.jpg', query = ''): Promise<Response> {
    const form = new FormData()
    form.append('file', new Blob([bytes]), filename)
    return await fetch(`${this.base}/${ROUTES[kind]}${query}`, { method: 'POST', body: form })
  }

  async submitOk (kind: 'detect' | 'blur' | 'video', bytes: Buffer, query = ''): Promise<string> {
    const res = await this.submit(kind, bytes, kind === 'video' ? 'clip.mp4' : 'photo.jpg', query)
    const body = await res.json() as { task_id?: string }
    if (res.status !== 200 || body.task_id === undefined) throw new Error(`submit answered ${res.status} ${JSON.stringify(body)}`)
    return body.task_id
  }

  async poll (taskId: string): Promise<{ status: number, body: TaskResultResponse }> {
    const res = await fetch(`${this.base}/task_result/${taskId}`)
    return { status: res.status, body: await res.json() as TaskResultResponse }
  }

  /** Polls until the task is finished; returns every distinct status seen on the way. */
  async waitDone (taskId: string, timeoutMs = 60_000, onPoll?: (body: TaskResultResponse) => void): Promise<{ final: TaskResultResponse, seen: string[] }> {
    const seen: string[] = []
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const { body } = await this.poll(taskId)
      onPoll?.(body)
      if (seen.at(-1) !== body.status) seen.push(body.status)
      if (body.status === 'SUCCESS' || body.status === 'FAILURE') return { final: body, seen }
      await sleep(100)
    }
    throw new Error(`task ${taskId} not finished after ${timeoutMs} ms (seen ${seen.join(' → ')})`)
  }
}
