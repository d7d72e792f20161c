import t from 'tap'
import { advance, type TaskStatusV1 } from '../src/index.js'

const at = '2026-11-25T10:00:00.000Z'
const ev = (status: TaskStatusV1['status'], stage: TaskStatusV1['stage']): TaskStatusV1 =>
  ({ task_id: '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10', kind: 'blur', status, stage, at })

t.test('the first event of a task is taken as it is', async (t) => {
  const first = ev('STARTED', 'detector')
  t.equal(advance(undefined, first), first)
})

t.test('moves forward through the states and stages', async (t) => {
  const pending = ev('PENDING', 'gateway')
  const detecting = advance(pending, ev('STARTED', 'detector'))
  t.equal(detecting.status, 'STARTED')
  const blurring = advance(detecting, ev('STARTED', 'blurrer'))
  t.equal(blurring.stage, 'blurrer')
  t.equal(advance(blurring, ev('SUCCESS', 'blurrer')).status, 'SUCCESS')
})

t.test('never moves backwards on late or repeated events', async (t) => {
  const blurring = ev('STARTED', 'blurrer')
  t.equal(advance(blurring, ev('STARTED', 'detector')), blurring, 'late detector STARTED')
  t.equal(advance(blurring, ev('PENDING', 'gateway')), blurring, 'late PENDING')
  t.equal(advance(blurring, ev('STARTED', 'blurrer')), blurring, 'repeat keeps the current object')
})

t.test('a terminal state is final', async (t) => {
  for (const done of [ev('SUCCESS', 'detector'), ev('FAILURE', 'detector')]) {
    for (const late of [ev('PENDING', 'gateway'), ev('STARTED', 'blurrer'), ev('SUCCESS', 'blurrer'), ev('FAILURE', 'blurrer')]) {
      t.equal(advance(done, late), done, `${done.status} stays after ${late.status}/${late.stage}`)
    }
  }
})

t.test('the owner sticks to the task, whichever event brought it', async (t) => {
  const owned = { ...ev('PENDING', 'gateway'), owner: 'abcdef0123456789' }
  t.equal(advance(owned, ev('STARTED', 'detector')).owner, owned.owner, 'later events keep it')
  t.equal(advance(ev('SUCCESS', 'detector'), owned).owner, owned.owner, 'a late PENDING still brings it')
  t.equal(advance(ev('SUCCESS', 'detector'), owned).status, 'SUCCESS', 'without moving the state back')
  const plain = ev('STARTED', 'detector')
  t.equal(advance(plain, ev('STARTED', 'detector')), plain, 'no owner anywhere: nothing changes')
})

t.test('a video moves on by its progress within its stage, never back', async (t) => {
  const at5 = { ...ev('STARTED', 'video'), kind: 'video' as const, progress: { frames_done: 5, frames_total: 100 } }
  const at30 = { ...at5, progress: { frames_done: 30, frames_total: 100 } }
  t.equal(advance(at5, at30), at30, 'more frames done')
  t.equal(advance(at30, at5), at30, 'a late, smaller progress is ignored')
  t.equal(advance(at30, { ...at30 }), at30, 'a repeat changes nothing')
  t.equal(advance(at30, { ...ev('STARTED', 'detector'), kind: 'video' }), at30, 'a segment stage ranks below the video stage')
  t.equal(advance(at30, { ...ev('FAILURE', 'detector'), kind: 'video' }).status, 'FAILURE', 'a failed segment ends the video')
})
