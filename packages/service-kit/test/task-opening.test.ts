// The opening statuses: PENDING at once, STARTED only when the task runs a while or is handed on.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { OutgoingMessage } from '../src/bus.js'
import { openTask } from '../src/task-opening.js'

const status = (value: string): OutgoingMessage => ({ topic: 'status', key: 'task', value: Buffer.from(value) })

/** A publish that takes a few ms, and a way to wait (without a clock) until it has sent `n` messages. */
function recorder (): { publish: (m: OutgoingMessage[]) => Promise<void>, sent: string[], until: (n: number) => Promise<void> } {
  const sent: string[] = []
  const waiting: Array<{ n: number, resolve: () => void }> = []
  return {
    sent,
    publish: async (m) => {
      await sleep(5)
      sent.push(...m.map((x) => x.value!.toString()))
      for (const w of waiting) if (sent.length >= w.n) w.resolve()
    },
    until: async (n) => { if (sent.length < n) await new Promise<void>((resolve) => waiting.push({ n, resolve })) }
  }
}

t.test('a task that ends quickly: PENDING only, no STARTED owed', async (t) => {
  const { publish, sent } = recorder()
  const opening = openTask(publish, status('PENDING'), () => status('STARTED'), 200)
  t.same(await opening.close(true), [])
  t.same(sent, ['PENDING'])
})

t.test('a task handed on quickly owes its STARTED, to go first with the hand-over', async (t) => {
  const { publish, sent } = recorder()
  const opening = openTask(publish, undefined, () => status('STARTED'), 200)
  t.same((await opening.close(false)).map((m) => m.value!.toString()), ['STARTED'])
  t.same(sent, [])
})

t.test('a task that runs past the mark is STARTED then, after its PENDING, and owes nothing', async (t) => {
  const { publish, sent, until } = recorder()
  const opening = openTask(publish, status('PENDING'), () => status('STARTED'), 20)
  await until(2) // the work is still running: close has not been called
  t.same(sent, ['PENDING', 'STARTED'], 'published while the work runs, in order')
  t.same(await opening.close(false), [])
  t.same(sent, ['PENDING', 'STARTED'])
})

t.test('a stage that starts no task publishes no STARTED, however long it runs', async (t) => {
  const { publish, sent } = recorder()
  const opening = openTask(publish, undefined, undefined, 10)
  await sleep(30)
  t.same(await opening.close(false), [])
  t.same(sent, [])
})

t.test('an opening that could not be published fails the close: the event is redelivered', async (t) => {
  const opening = openTask(async () => { throw new Error('Kafka is down') }, status('PENDING'), () => status('STARTED'), 10)
  await t.rejects(opening.close(true), /Kafka is down/)
})
