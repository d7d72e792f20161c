import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { createBatcher } from '../src/batcher.js'

t.test('items added together go in few batches, in order, one flush at a time', async (t) => {
  const batches: number[][] = []
  let running = 0
  let maxRunning = 0
  const b = createBatcher<number>(async (items) => {
    running++
    maxRunning = Math.max(maxRunning, running)
    await sleep(5)
    batches.push(items)
    running--
  }, { maxItems: 10, lingerMs: 2 })
  await Promise.all(Array.from({ length: 35 }, (_, i) => b.add(i)))
  await b.close()
  t.same(batches.flat(), Array.from({ length: 35 }, (_, i) => i), 'every item once, in order')
  t.ok(batches.length <= 5, `${batches.length} batches`)
  t.ok(batches.every((x) => x.length <= 10))
  t.equal(maxRunning, 1)
})

t.test('a lone item goes after the linger', async (t) => {
  const batches: number[][] = []
  const b = createBatcher<number>(async (items) => { batches.push(items) }, { lingerMs: 1 })
  await b.add(7)
  t.same(batches, [[7]])
  await b.close()
})

t.test('a failed flush rejects its own items only', async (t) => {
  let calls = 0
  const b = createBatcher<number>(async () => { if (calls++ === 0) throw new Error('broker down') }, { maxItems: 2, lingerMs: 1 })
  const first = [b.add(1), b.add(2)]
  const later = b.add(3)
  await t.rejects(first[0]!, /broker down/)
  await t.rejects(first[1]!, /broker down/)
  await t.resolves(later)
  await b.close()
})

t.test('close flushes what is left', async (t) => {
  const seen: number[] = []
  const b = createBatcher<number>(async (items) => { seen.push(...items) }, { lingerMs: 10_000 })
  const p = b.add(1)
  await b.close()
  await p
  t.same(seen, [1])
})
