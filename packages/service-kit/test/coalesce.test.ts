import t from 'tap'
import { coalescing } from '../src/coalesce.js'

const later = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

t.test('one call in flight; callers meanwhile go out together, in order', async (t) => {
  const calls: number[][] = []
  const send = coalescing<number>(async (items) => { calls.push(items); await later() }, () => false)
  await Promise.all([send([1]), send([2, 3]), send([4])])
  t.same(calls, [[1], [2, 3, 4]])
  await send([5])
  t.same(calls.at(-1), [5], 'an idle sender sends at once, alone')
})

t.test("a refused message fails only its caller's part", async (t) => {
  const calls: number[][] = []
  const send = coalescing<number>(async (items) => {
    calls.push(items)
    await later()
    if (items.includes(13)) throw Object.assign(new Error('too large'), { refused: true })
  }, (err) => (err as { refused?: boolean }).refused === true)
  const results = await Promise.allSettled([send([1]), send([2]), send([13]), send([4])])
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
  t.same(calls, [[1], [2, 13, 4], [2], [13], [4]])
})

t.test('any other failure reaches every caller of that call', async (t) => {
  let n = 0
  const send = coalescing<number>(async () => { await later(); if (n++ === 1) throw new Error('broker away') }, () => false)
  const results = await Promise.allSettled([send([1]), send([2]), send([3])])
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected'])
  await send([4])
  t.pass('and the next call goes out normally')
})
