import t from 'tap'
import { createProgress, estimate, formatDuration, formatRate, progressLine, type ProgressState } from '../src/progress.js'

t.test('durations and rates', async (t) => {
  t.equal(formatDuration(0), '0:00')
  t.equal(formatDuration(7.4), '0:07')
  t.equal(formatDuration(754), '12:34')
  t.equal(formatDuration(3723), '1:02:03')
  t.equal(formatDuration(Number.NaN), '--:--')
  t.equal(formatDuration(Number.POSITIVE_INFINITY), '--:--')
  t.equal(formatDuration(-1), '--:--')
  t.equal(formatRate(1234.4), '1234/s')
  t.equal(formatRate(12.34), '12.3/s')
  t.equal(formatRate(0.25), '0.25/s')
  t.equal(formatRate(0), '0/s')
})

t.test('rate and ETA', async (t) => {
  t.same(estimate(50, 100, 10_000), { rate: 5, etaS: 10 })
  t.same(estimate(100, 100, 10_000), { rate: 10, etaS: 0 })
  t.ok(Number.isNaN(estimate(0, 100, 1000).etaS), 'no rate yet: unknown')
  t.ok(Number.isNaN(estimate(5, undefined, 1000).etaS), 'no total yet: unknown')
  t.same(estimate(0, 0, 0), { rate: 0, etaS: 0 })
})

const base: ProgressState = { phase: 'submit', found: 200, walked: true, handled: 50, submitted: 50, elapsedMs: 10_000 }

t.test('the submit line', async (t) => {
  t.equal(progressLine(base), 'submit 50/200 25.0% · 5.0/s · ETA 0:30')
  t.equal(progressLine({ ...base, walked: false, found: 60 }), 'submit 50/60+ · 5.0/s · ETA --:--', 'total unknown while walking')
  t.equal(progressLine({ ...base, handled: 150, submitted: 50 }), 'submit 150/200 75.0% · 5.0/s · ETA 0:10', 'skipped files count as done and take no time')
  t.equal(progressLine({ ...base, following: { total: 50, ok: 10, failed: 1 } }), 'submit 50/200 25.0% · 5.0/s · ETA 0:30 · done 11/50 (ok 10, failed 1)')
})

t.test('the wait line', async (t) => {
  t.equal(progressLine({ ...base, phase: 'wait', handled: 200, submitted: 200, following: { total: 200, ok: 90, failed: 10 }, waitStartedMs: 4_000 }),
    'wait done 100/200 (ok 90, failed 10) · 10.0/s · ETA 0:10 · waiting 0:06')
})

t.test('a terminal redraws one line; a pipe gets a line now and then', async (t) => {
  let clock = 0
  const tty: string[] = []
  const p = createProgress({ isTTY: true, write: (s) => tty.push(s) }, () => clock, { ttyIntervalMs: 100 })
  p.update(base)
  clock = 50
  p.update(base)
  t.equal(tty.length, 1, 'throttled')
  clock = 150
  p.update({ ...base, handled: 60, submitted: 60 })
  p.end(base)
  t.match(tty[0], /^\rsubmit 50\/200 .*\x1b\[K$/)
  t.equal(tty.at(-1), '\n', 'the line is ended')
  t.equal(tty.length, 4)

  const plain: string[] = []
  const q = createProgress({ write: (s) => plain.push(s) }, () => clock, { plainIntervalMs: 5000 })
  q.update(base)
  clock += 1000
  q.update(base)
  clock += 5000
  q.update(base)
  q.end(base)
  t.equal(plain.length, 3)
  t.ok(plain.every((l) => !l.includes('\r') && !l.includes('\x1b') && l.endsWith('\n')), 'plain lines, no control characters')

  const off: string[] = []
  const r = createProgress({ isTTY: true, write: (s) => off.push(s) }, () => clock, { enabled: false })
  r.update(base, true)
  r.end(base)
  t.equal(off.length, 0, '--quiet')
})
