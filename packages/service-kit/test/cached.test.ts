import t from 'tap'
import { cachedFor } from '../src/cached.js'

t.test('answers from the last result until it is older than the period', async (t) => {
  let now = 0
  let calls = 0
  const probe = cachedFor(1000, async () => ++calls, () => now)
  t.same(await Promise.all([probe(), probe(), probe()]), [1, 1, 1], 'concurrent callers share one call')
  now = 999
  t.equal(await probe(), 1)
  now = 1000
  t.equal(await probe(), 2, 'asked again once the period is over')
})

t.test('a failure is not kept', async (t) => {
  let fail = true
  const probe = cachedFor(60_000, async () => { if (fail) throw new Error('down'); return 'up' })
  await t.rejects(probe(), /down/)
  fail = false
  t.equal(await probe(), 'up')
})
