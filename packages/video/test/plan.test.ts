// Segment arithmetic.
import t from 'tap'
import { framesDone, segmentsFrom } from '../src/plan.js'

t.test('segments: where each starts, empty ones dropped, progress by frames', async (t) => {
  const segments = segmentsFrom([25, 0, 30, 5])
  t.same(segments, [{ file: 0, first_frame: 0, frames: 25 }, { file: 2, first_frame: 25, frames: 30 }, { file: 3, first_frame: 55, frames: 5 }])
  const plan = { video: { width: 2, height: 2, fps: '25/1', frames: 60, duration_s: 2.4, rotation: 0 as const }, segments }
  t.equal(framesDone(plan, [0, 2]), 30)
  t.equal(framesDone(plan, []), 0)
})
