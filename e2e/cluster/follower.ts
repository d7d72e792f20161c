// A client's view of the tasks it submitted: one WebSocket per gateway, reconnected whenever the
// gateway goes away, each task subscribed on every gateway. What a client could see wrong is
// recorded: a state that moves backwards on a gateway, and a blurred result whose bytes change
// after the client was first told it was ready.
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { isTerminal, supersedes, type WsStatusMessage } from '@faceblur/contracts'
import WebSocket from 'ws'

type Seen = Pick<WsStatusMessage, 'status' | 'stage' | 'progress'>

interface Connection { base: string, socket?: WebSocket, last: Map<string, Seen> }

export interface Backwards { task: string, gateway: string, from: string, to: string }

/** Whether `next` is behind what this gateway told the client before (`last`). */
function movedBack (last: Seen, next: Seen): boolean {
  return supersedes(next, last) || (isTerminal(last.status) && next.status !== last.status)
}

const describe = (s: Seen): string => `${s.status}/${s.stage}${s.progress === undefined ? '' : `@${s.progress.frames_done}`}`

export class Follower {
  readonly backwards: Backwards[] = []
  /** Task id → the sha256 of its blurred image, fetched when a gateway first said SUCCESS. */
  readonly firstResult = new Map<string, string>()
  readonly finished = new Map<string, WsStatusMessage['status']>()
  private readonly tasks = new Map<string, 'detect' | 'blur' | 'video'>()
  private readonly connections: Connection[]
  private closed = false
  private readonly fetches: Array<Promise<void>> = []

  constructor (gatewayBases: string[]) {
    this.connections = gatewayBases.map((base) => ({ base, last: new Map() }))
    for (const c of this.connections) void this.keepConnected(c)
  }

  follow (taskId: string, kind: 'detect' | 'blur' | 'video'): void {
    this.tasks.set(taskId, kind)
    for (const c of this.connections) this.subscribe(c, [taskId])
  }

  /** Stops reconnecting and waits for the result fetches in hand. */
  async close (): Promise<void> {
    this.closed = true
    for (const c of this.connections) c.socket?.terminate()
    await Promise.allSettled(this.fetches)
  }

  private subscribe (c: Connection, ids: string[]): void {
    if (c.socket?.readyState !== WebSocket.OPEN) return // subscribed on (re)connect
    for (let i = 0; i < ids.length; i += 1000) c.socket.send(JSON.stringify({ subscribe: ids.slice(i, i + 1000) }))
  }

  private async keepConnected (c: Connection): Promise<void> {
    while (!this.closed) {
      await new Promise<void>((resolve) => {
        const socket = new WebSocket(`${c.base.replace('http', 'ws')}/ws`)
        c.socket = socket
        socket.on('open', () => this.subscribe(c, [...this.tasks.keys()]))
        socket.on('message', (raw) => this.onMessage(c, JSON.parse(raw.toString())))
        socket.on('error', () => {}) // refused while the gateway is down: `close` follows
        socket.on('close', () => resolve())
      })
      if (!this.closed) await sleep(500)
    }
  }

  private onMessage (c: Connection, m: WsStatusMessage | { type: 'error', task_id?: unknown, error: { code: string } }): void {
    if (m.type === 'error') {
      // A task accepted by the other gateway that this one has not read off the status topic yet.
      const id = m.task_id
      if (m.error.code === 'FB_ERR_TASK_NOT_FOUND' && typeof id === 'string' && this.tasks.has(id)) {
        const before = c.last.get(id)
        if (before !== undefined) this.backwards.push({ task: id, gateway: c.base, from: describe(before), to: 'not found' })
        setTimeout(() => this.subscribe(c, [id]), 250).unref()
      }
      return
    }
    const before = c.last.get(m.task_id)
    if (before !== undefined && movedBack(before, m)) this.backwards.push({ task: m.task_id, gateway: c.base, from: describe(before), to: describe(m) })
    if (before === undefined || supersedes(before, m)) c.last.set(m.task_id, m)
    if (!isTerminal(m.status) || this.finished.has(m.task_id)) return
    this.finished.set(m.task_id, m.status)
    if (m.status === 'SUCCESS' && this.tasks.get(m.task_id) === 'blur') this.fetches.push(this.recordResult(m.task_id))
  }

  private async recordResult (taskId: string): Promise<void> {
    const bytes = await fetchResult(this.connections.map((c) => c.base), taskId)
    if (bytes !== undefined) this.firstResult.set(taskId, sha256(bytes))
  }
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

/** The blurred image from the first gateway that serves it (one may be down). */
export async function fetchResult (bases: string[], taskId: string): Promise<Buffer | undefined> {
  for (const base of bases) {
    try {
      const res = await fetch(`${base}/results/${taskId}`, { signal: AbortSignal.timeout(10_000) })
      if (res.ok) return Buffer.from(await res.arrayBuffer())
      await res.body?.cancel()
    } catch { /* the next gateway */ }
  }
  return undefined
}
