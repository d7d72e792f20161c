import t from 'tap'
import { exampleTaskStatusV1, taskResultResponse, type DetectResult, type TaskStatusV1 } from '../src/index.js'

const base = { task_id: exampleTaskStatusV1.task_id, at: exampleTaskStatusV1.at } as const

t.test('no result while pending or running', async (t) => {
  t.same(taskResultResponse({ ...base, kind: 'detect', status: 'PENDING', stage: 'gateway' }), { status: 'PENDING' })
  t.same(taskResultResponse({ ...base, kind: 'blur', status: 'STARTED', stage: 'detector' }), { status: 'STARTED' })
})

t.test('a finished detection has the original face_N / facial_area shape', async (t) => {
  t.same(taskResultResponse(exampleTaskStatusV1), { status: 'SUCCESS', result: { face_1: { facial_area: [229, 178, 619, 697] } } })
  const none: TaskStatusV1 = { ...exampleTaskStatusV1, result: { ...(exampleTaskStatusV1.result as DetectResult), faces: [] } }
  t.same(taskResultResponse(none), { status: 'SUCCESS', result: {} }, 'no faces: an empty object')
})

t.test('a finished blur carries the base64 image it is given', async (t) => {
  const done: TaskStatusV1 = {
    ...base,
    kind: 'blur',
    status: 'SUCCESS',
    stage: 'blurrer',
    result: {
      kind: 'blur',
      object: { bucket: 'faceblur', key: 'results/x', content_type: 'image/jpeg', bytes: 3 },
      faces: [],
      model: { name: 'm', sha256: 's', provider: 'cpu' }
    }
  }
  t.same(taskResultResponse(done, 'AAAA'), { status: 'SUCCESS', result: 'AAAA' })
})

t.test('a failure carries its code and message', async (t) => {
  const failed: TaskStatusV1 = { ...base, kind: 'detect', status: 'FAILURE', stage: 'detector', error: { code: 'FB_ERR_IMAGE_UNDECODABLE', message: 'broken' } }
  t.same(taskResultResponse(failed), { status: 'FAILURE', error: { code: 'FB_ERR_IMAGE_UNDECODABLE', message: 'broken' } })
})
