import t from 'tap'
import type { TaskStatusV1 } from '@faceblur/contracts'
import { TaskView } from '../src/task-view.js'

const id = '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10'
const ev = (status: TaskStatusV1['status'], stage: TaskStatusV1['stage'], at = '2026-11-25T10:00:00.000Z'): TaskStatusV1 =>
  ({ task_id: id, kind: 'detect', status, stage, at })

t.test('materialises the latest state and ignores late events', async (t) => {
  const view = new TaskView(3600_000, () => Date.parse('2026-11-25T10:00:01.000Z'))
  t.equal(view.get(id), undefined)
  view.apply(ev('PENDING', 'gateway'))
  view.apply(ev('SUCCESS', 'detector'))
  view.apply(ev('STARTED', 'detector')) // arrives late
  view.apply(ev('PENDING', 'gateway')) // arrives twice
  t.equal(view.get(id)?.status, 'SUCCESS')
  t.equal(view.size, 1)
})

t.test('watchers hear each real change once, and stop hearing after unsubscribing', async (t) => {
  const view = new TaskView(3600_000)
  const heard: string[] = []
  const off = view.watch(id, (s) => heard.push(s.status))
  view.apply(ev('PENDING', 'gateway'))
  view.apply(ev('PENDING', 'gateway'))
  view.apply(ev('STARTED', 'detector'))
  off()
  view.apply(ev('SUCCESS', 'detector'))
  t.same(heard, ['PENDING', 'STARTED'])
})

t.test('finished tasks expire after the TTL; running ones never do', async (t) => {
  let now = Date.parse('2026-11-25T10:00:00.000Z')
  const view = new TaskView(60_000, () => now)
  const other = '1b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10'
  view.apply(ev('SUCCESS', 'detector'))
  view.apply({ ...ev('STARTED', 'detector'), task_id: other })
  now += 59_000
  t.equal(view.get(id)?.status, 'SUCCESS')
  now += 2_000
  t.equal(view.get(id), undefined, 'expired')
  t.equal(view.sweep(), 0)
  t.equal(view.get(other)?.status, 'STARTED', 'a running task is kept')
})
