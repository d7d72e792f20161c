// The load of one fault round: uploads spread over the gateways, many at once, as clients send
// them. A refused or broken upload is the client's to see and is counted, never retried: only the
// tasks a gateway answered 200 are the service's promise.
import { Client } from '../support/harness.js'

export type Kind = 'detect' | 'blur' | 'video'
/** `gateway`: the name of the gateway that answered 200, or `kafka` for a bulk producer's task. */
export interface Accepted { id: string, kind: Kind, gateway: string }

export interface LoadResult { accepted: Accepted[], refused: Map<string, number> }

export interface LoadOptions {
  gateways: Array<{ name: string, base: string }>
  /** What to send, in order; the i-th goes to gateway i mod n. */
  items: Array<{ kind: Kind, bytes: Buffer }>
  concurrency: number
  onAccepted: (task: Accepted, count: number) => void
}

export async function runLoad ({ gateways, items, concurrency, onAccepted }: LoadOptions): Promise<LoadResult> {
  const clients = gateways.map((g) => ({ name: g.name, client: new Client(g.base) }))
  const accepted: Accepted[] = []
  const refused = new Map<string, number>()
  const refuse = (why: string): void => { refused.set(why, (refused.get(why) ?? 0) + 1) }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      const { kind, bytes } = items[i]!
      const { name, client } = clients[i % clients.length]!
      try {
        const res = await client.submit(kind, bytes, kind === 'video' ? 'clip.mp4' : 'photo.jpg')
        const body = await res.json() as { task_id?: string }
        if (res.status === 200 && body.task_id !== undefined) {
          const task = { id: body.task_id, kind, gateway: name }
          accepted.push(task)
          onAccepted(task, accepted.length)
        } else {
          refuse(`${name} ${res.status}`)
        }
      } catch (err) {
        refuse(`${name} ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { accepted, refused }
}
