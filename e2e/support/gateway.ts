// What the gateway's end-to-end files share: the fixtures, a gateway (or several) on free ports
// beside real stages, and a WebSocket client that waits for a matching message.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { Client, freePort, start, type RunningService } from './harness.js'

export const seed = readFileSync(join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg'))
export const astronaut = readFileSync(join(import.meta.dirname, '../fixtures/astronaut.png'))
export const MAX_UPLOAD = 2 * 1024 * 1024

export interface StartedGateway { svc: RunningService, client: Client, port: number }

/** Gateways started on demand plus one detector and one blurrer, all stopped by `stopAll`. */
export async function gatewayWithStages (): Promise<{ main: StartedGateway, startGateway: (env?: Record<string, string>) => Promise<StartedGateway>, stopAll: () => Promise<void> }> {
  const services: RunningService[] = []
  const startGateway = async (env: Record<string, string> = {}): Promise<StartedGateway> => {
    const port = env.PORT === undefined ? freePort() : Number(env.PORT)
    const svc = await start('gateway', { PORT: String(port), FACEBLUR_MAX_UPLOAD_BYTES: String(MAX_UPLOAD), ...env })
    services.push(svc)
    return { svc, client: new Client(`http://127.0.0.1:${port}`), port }
  }
  const main = await startGateway()
  services.push(...await Promise.all([start('detector'), start('blurrer')]))
  return { main, startGateway, stopAll: async () => { await Promise.all(services.map((s) => s.stop())) } }
}

export const readyBody = async (base: string): Promise<{ tasks: number, unfinished: number }> => await (await fetch(`${base}/ready`)).json() as { tasks: number, unfinished: number }

export interface WsMessage { type: string, task_id?: string, status?: string, stage?: string, result?: unknown, result_url?: string, error?: { code: string } }

export async function openSocket (base: string, query = ''): Promise<{ ws: WebSocket, messages: WsMessage[], pings: () => number, next: (pred: (m: WsMessage) => boolean, ms?: number) => Promise<WsMessage> }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws${query}`)
  const messages: WsMessage[] = []
  let pings = 0
  ws.on('message', (raw) => messages.push(JSON.parse(raw.toString()) as WsMessage))
  ws.on('ping', () => { pings++ })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  return {
    ws,
    messages,
    pings: () => pings,
    async next (pred, ms = 60_000) {
      const deadline = Date.now() + ms
      while (Date.now() < deadline) {
        const hit = messages.find(pred)
        if (hit !== undefined) return hit
        await sleep(20)
      }
      throw new Error(`no matching WebSocket message in ${ms} ms; got ${JSON.stringify(messages)}`)
    }
  }
}
