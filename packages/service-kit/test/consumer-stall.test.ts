// The rule that replaces a wedged consumer: silent too long, or out of its group too long however busy.
import t from 'tap'
import { stallOf } from '../src/consumer-stall.js'

const limits = { silentMs: 30_000, outOfGroupMs: 90_000 }
const now = 1_000_000

t.test('a member that fetches or heartbeats is well, and so is one briefly out of its group (a rebalance)', async (t) => {
  t.equal(stallOf({ joined: true, lastActiveAt: now - 1000, outOfGroupSince: now - 500_000 }, now, limits), undefined)
  t.equal(stallOf({ joined: false, lastActiveAt: now - 1000, outOfGroupSince: now - 89_000 }, now, limits), undefined)
})

t.test('a silent consumer is replaced, in or out of its group', async (t) => {
  t.equal(stallOf({ joined: true, lastActiveAt: now - 30_000, outOfGroupSince: now }, now, limits), 'no fetch or heartbeat for 30 s')
  t.equal(stallOf({ joined: false, lastActiveAt: now - 45_000, outOfGroupSince: now - 45_000 }, now, limits), 'no fetch or heartbeat for 45 s')
})

t.test('one out of its group past the limit is replaced though its handler keeps beating', async (t) => {
  // The cluster suite's wedge: a video stage's handler beat every 3 s (kafkajs answered without
  // sending) while its consumer had left the group, which stayed Empty for 5+ min.
  t.equal(stallOf({ joined: false, lastActiveAt: now - 2000, outOfGroupSince: now - 90_000 }, now, limits), 'out of its group for 90 s')
  t.equal(stallOf({ joined: false, lastActiveAt: now, outOfGroupSince: now - 300_000 }, now, limits), 'out of its group for 300 s')
})
