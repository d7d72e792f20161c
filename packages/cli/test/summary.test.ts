import t from 'tap'
import { exitCode, formatSummary, type Summary } from '../src/summary.js'

const base: Summary = {
  kind: 'blur', dir: 'photos', out: 'blurred', state: 'blurred/.faceblur-state.jsonl', found: 12, ignored: 3, submitted: 8, followed: 1,
  skipped: 3, skippedFailed: 1, succeeded: 8, failed: 1, unfinished: 0, failures: [], elapsedMs: 12_500
}

t.test('a run with a failure says what failed, with its code, and exits 1', async (t) => {
  const s: Summary = {
    ...base,
    failures: [
      { path: 'a/broken.jpg', task_id: '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10', code: 'FB_ERR_IMAGE_UNDECODABLE', message: 'truncated' },
      { path: 'old.jpg', task_id: '1c7a6d2f-9a1f-4b62-8d54-3a2e1d4d0b21', code: 'FB_ERR_IMAGE_TOO_MANY_PIXELS', message: 'too big', earlier: true }
    ]
  }
  const text = formatSummary(s, { wait: true })
  t.match(text, 'faceblur blur: 12 images under photos (3 other files ignored)')
  t.match(text, 'submitted 8, followed 1 from an earlier run, skipped 3 (2 done before, 1 failed before: --retry-failed submits them again)')
  t.match(text, 'succeeded 8, failed 1')
  t.match(text, 'results in blurred')
  t.match(text, 'a/broken.jpg: FB_ERR_IMAGE_UNDECODABLE truncated (task 0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10)')
  t.match(text, 'old.jpg: FB_ERR_IMAGE_TOO_MANY_PIXELS too big (task 1c7a6d2f-9a1f-4b62-8d54-3a2e1d4d0b21, an earlier run)')
  t.equal(exitCode(s, { wait: true }), 1)
})

t.test('a clean run exits 0; unfinished tasks are fine without --wait, not with it', async (t) => {
  const clean: Summary = { ...base, skippedFailed: 0, failed: 0 }
  t.equal(exitCode(clean, { wait: true }), 0)
  t.notMatch(formatSummary(clean, { wait: true }), 'failures:')
  const fired: Summary = { ...clean, out: undefined, succeeded: 0, unfinished: 9 }
  t.match(formatSummary(fired, { wait: false }), '9 tasks in the pipeline: run again with --wait --out <dir> to follow them')
  t.match(formatSummary(fired, { wait: false }), '1 submitted by an earlier run')
  t.equal(exitCode(fired, { wait: false }), 0)
  t.equal(exitCode({ ...clean, unfinished: 2 }, { wait: true }), 1)
  t.equal(exitCode({ ...clean, stopped: 'interrupted' }, { wait: false }), 1)
  t.match(formatSummary({ ...clean, stopped: 'interrupted' }, { wait: false }), 'stopped early: interrupted (run the same command again to resume)')
})

t.test('stats', async (t) => {
  const text = formatSummary({ ...base, submitted: 10_000, elapsedMs: 20_000, stats: { maxRssBytes: 100 * 2 ** 20 } }, { wait: false })
  t.match(text, 'stats: 20.00 s, 500/s submitted, peak RSS 100.0 MiB')
})
