import t from 'tap'
import { exampleTaskStatusV1, type TaskStatusV1 } from '@faceblur/contracts'
import { TaskView } from '../src/task-view.js'

const id = '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10'
const other = '1b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10'
const T0 = Date.parse('2026-11-25T10:00:00.000Z')
const ev = (status: TaskStatusV1['status'], stage: TaskStatusV1['stage'], at = T0, task = id): TaskStatusV1 =>
  ({ task_id: task, kind: 'detect', status, stage, at: new Date(at).toISOString() })
const HOUR = 3600_000

t.test('materialises the latest state and ignores late events', async (t) => {
  const view = new TaskView({ ttlMs: HOUR, maxAgeMs: HOUR, now: () => T0 + 1000 })
  t.equal(view.get(id), undefined)
  t.equal(view.apply(ev('PENDING', 'gateway')), 'changed')
  t.equal(view.apply(ev('SUCCESS', 'detector')), 'changed')
  t.equal(view.apply(ev('STARTED', 'detector')), 'stale', 'arrives late: no change, and says something else')
  t.equal(view.apply(ev('SUCCESS', 'detector', T0 + 50)), 'same', 'the same state again')
  t.equal(view.apply({ ...ev('FAILURE', 'detector'), error: { code: 'FB_ERR_SOURCE_MISSING', message: 'gone' } }), 'stale', 'another end after the first')
  t.equal(view.get(id)?.status, 'SUCCESS')
  t.equal(view.size, 1)
  t.equal(view.get(id.replaceAll('-', '')), undefined, 'only its id finds a task')
  t.equal(view.get(id.toUpperCase()), undefined)
})

t.test('gives back what it was given: result, error, owner, kind, time', async (t) => {
  const view = new TaskView({ ttlMs: HOUR, maxAgeMs: HOUR, now: () => Date.parse(exampleTaskStatusV1.at) })
  const owner = 'ab'.repeat(8)
  view.apply({ ...exampleTaskStatusV1, owner })
  t.same(view.get(exampleTaskStatusV1.task_id), { ...exampleTaskStatusV1, owner })
  const failed: TaskStatusV1 = { ...ev('FAILURE', 'blurrer', T0, other), kind: 'blur', error: { code: 'FB_ERR_SOURCE_MISSING', message: 'gone' } }
  view.apply(failed)
  t.same(view.get(other), failed)
})

t.test('the owner sticks to a task whatever order its events arrive in', async (t) => {
  const view = new TaskView({ ttlMs: HOUR, maxAgeMs: HOUR, now: () => T0 })
  const owner = 'cd'.repeat(8)
  view.apply(ev('SUCCESS', 'detector'))
  view.apply({ ...ev('PENDING', 'gateway'), owner })
  t.equal(view.get(id)?.owner, owner, 'a late PENDING still brings the owner')
  t.equal(view.get(id)?.status, 'SUCCESS')
})

t.test('watchers hear each real change once, and stop hearing after unsubscribing', async (t) => {
  const view = new TaskView({ ttlMs: HOUR, maxAgeMs: HOUR })
  const heard: string[] = []
  const off = view.watch(id, (s) => heard.push(s.status))
  view.apply(ev('PENDING', 'gateway'))
  view.apply(ev('PENDING', 'gateway'))
  view.apply(ev('STARTED', 'detector'))
  off()
  view.apply(ev('SUCCESS', 'detector'))
  t.same(heard, ['PENDING', 'STARTED'])
})

t.test('counts are kept as events arrive and as tasks are forgotten', async (t) => {
  let now = T0
  const view = new TaskView({ ttlMs: 60_000, maxAgeMs: HOUR, now: () => now })
  view.apply(ev('PENDING', 'gateway'))
  view.apply(ev('PENDING', 'gateway', T0, other))
  t.same(view.counts(), { PENDING: 2, STARTED: 0, SUCCESS: 0, FAILURE: 0 })
  t.equal(view.unfinished, 2)
  view.apply(ev('STARTED', 'detector'))
  view.apply(ev('SUCCESS', 'detector'))
  view.apply(ev('SUCCESS', 'detector')) // twice
  t.same(view.counts(), { PENDING: 1, STARTED: 0, SUCCESS: 1, FAILURE: 0 })
  t.equal(view.unfinished, 1)
  now += 61_000
  view.sweep()
  t.same(view.counts(), { PENDING: 1, STARTED: 0, SUCCESS: 0, FAILURE: 0 })
})

t.test('finished tasks are forgotten after the TTL; running ones never are', async (t) => {
  let now = T0
  const view = new TaskView({ ttlMs: 60_000, maxAgeMs: HOUR, now: () => now })
  view.apply(ev('SUCCESS', 'detector'))
  view.apply(ev('STARTED', 'detector', T0, other))
  now += 59_000
  t.same(view.sweep(), { forgotten: [], overdue: [] })
  t.equal(view.get(id)?.status, 'SUCCESS')
  now += 2_000
  t.equal(view.get(id), undefined, 'past the TTL a finished task is not answered')
  t.equal(view.size, 2, 'and is still held until the sweep')
  t.same(view.sweep(), { forgotten: [id], overdue: [] }, 'the sweep forgets it, by id')
  t.equal(view.size, 1, 'and it is gone')
  t.equal(view.get(other)?.status, 'STARTED', 'a running task is kept')
})

t.test('unfinished tasks past the maximum age are listed as FB_ERR_EXPIRED failures', async (t) => {
  let now = T0
  const view = new TaskView({ ttlMs: HOUR, maxAgeMs: 10 * 60_000, now: () => now })
  const owner = 'ef'.repeat(8)
  view.apply({ ...ev('PENDING', 'gateway'), owner })
  view.apply(ev('PENDING', 'gateway', T0 + 5 * 60_000, other))
  now += 9 * 60_000
  view.apply(ev('STARTED', 'detector', now)) // progress does not make it younger
  t.same(view.sweep().overdue, [])
  now += 2 * 60_000
  const { overdue } = view.sweep()
  t.equal(overdue.length, 1, 'only the task older than 10 min')
  t.match(overdue[0], { task_id: id, kind: 'detect', status: 'FAILURE', stage: 'gateway', owner, error: { code: 'FB_ERR_EXPIRED' } })
  t.equal(view.get(id)?.status, 'STARTED', 'the view waits for the failure to come back from the topic')
  view.apply(overdue[0]!)
  t.equal(view.get(id)?.status, 'FAILURE')
  t.equal(view.unfinished, 1)
  t.same(view.sweep().overdue, [], 'an ended task is not listed again')
  view.apply(ev('SUCCESS', 'detector', now, id))
  t.equal(view.get(id)?.error?.code, 'FB_ERR_EXPIRED', 'a stage finishing later changes nothing')
})

t.test('an old finished task read at catch-up is held but not answered, and hears no listener', async (t) => {
  const view = new TaskView({ ttlMs: 60_000, maxAgeMs: HOUR, now: () => T0 + 120_000 })
  let heard = 0
  view.watch(id, () => heard++)
  view.apply(ev('SUCCESS', 'detector'))
  t.equal(view.get(id), undefined)
  t.equal(heard, 0)
})

t.test('finish durations are reported for tasks seen from PENDING', async (t) => {
  const view = new TaskView({ ttlMs: HOUR, maxAgeMs: HOUR, now: () => T0 + 5000 })
  const seconds: number[] = []
  view.onFinish((_s, s) => seconds.push(s))
  view.apply(ev('PENDING', 'gateway'))
  view.apply(ev('SUCCESS', 'detector', T0 + 2500))
  view.apply(ev('SUCCESS', 'detector', T0 + 3000, other)) // never seen PENDING
  t.same(seconds, [2.5])
})

t.test('a failure repeated with the same error is the same; with another error it is stale', async (t) => {
  const view = new TaskView({ ttlMs: HOUR, maxAgeMs: HOUR, now: () => T0 })
  const failed = { ...ev('FAILURE', 'detector'), error: { code: 'FB_ERR_TASK_TIMEOUT', message: 'too long' } }
  view.apply(failed)
  t.equal(view.apply({ ...failed }), 'same')
  t.equal(view.apply({ ...failed, error: { code: 'FB_ERR_INTERNAL', message: 'x' } }), 'stale')
})

t.test('a video: its kind, its progress while it runs, then its result', async (t) => {
  const view = new TaskView({ ttlMs: HOUR, maxAgeMs: HOUR, now: () => T0 })
  const video = (e: TaskStatusV1): TaskStatusV1 => ({ ...e, kind: 'video' })
  view.apply(video(ev('PENDING', 'gateway')))
  t.equal(view.apply(video({ ...ev('STARTED', 'video'), progress: { frames_done: 0, frames_total: 100 } })), 'changed')
  t.equal(view.apply(video({ ...ev('STARTED', 'video'), progress: { frames_done: 40, frames_total: 100 } })), 'changed')
  t.equal(view.apply(video({ ...ev('STARTED', 'video'), progress: { frames_done: 20, frames_total: 100 } })), 'same', 'a late progress moves nothing')
  t.match(view.get(id), { kind: 'video', status: 'STARTED', stage: 'video', progress: { frames_done: 40, frames_total: 100 } })
  const result = {
    kind: 'video' as const,
    object: { bucket: 'faceblur', key: `results/${id}`, content_type: 'video/mp4', bytes: 1000 },
    frames: 100,
    duration_s: 4,
    faces: { frames_with_faces: 90, max_in_a_frame: 2 },
    model: exampleTaskStatusV1.result!.model
  }
  view.apply(video({ ...ev('SUCCESS', 'video'), result }))
  const done = view.get(id)!
  t.same(done.result, result)
  t.equal(done.progress, undefined, 'no progress once finished')
})
