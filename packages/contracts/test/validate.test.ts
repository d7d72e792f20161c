import t from 'tap'
import {
  codecs, exampleFacesDetectedV1, exampleTaskStatusV1, exampleTaskSubmittedV1
} from '../src/index.js'

t.test('the committed examples are valid and round-trip', async (t) => {
  const cases = [
    [codecs.taskSubmitted, exampleTaskSubmittedV1],
    [codecs.facesDetected, exampleFacesDetectedV1],
    [codecs.taskStatus, exampleTaskStatusV1]
  ] as const
  for (const [codec, example] of cases) {
    const parsed = (codec as typeof codecs.taskSubmitted).parse((codec as typeof codecs.taskSubmitted).encode(example as never))
    t.ok(parsed.ok)
    if (parsed.ok) t.same(parsed.value, example)
  }
})

t.test('invalid submitted events are refused with a reason', async (t) => {
  const id = exampleTaskSubmittedV1.task_id
  const bad: Array<[string, unknown, RegExp]> = [
    ['unknown kind', { ...exampleTaskSubmittedV1, kind: 'paint' }, /kind/],
    ['missing source', { ...exampleTaskSubmittedV1, source: undefined }, /source/],
    ['zero bytes', { ...exampleTaskSubmittedV1, source: { ...exampleTaskSubmittedV1.source, bytes: 0 } }, /bytes/],
    ['bad timestamp', { ...exampleTaskSubmittedV1, submitted_at: 'yesterday' }, /submitted_at/],
    ['extra field', { ...exampleTaskSubmittedV1, colour: 'red' }, /colour|propert/i],
    ['bad blur mode', { ...exampleTaskSubmittedV1, options: { blur: { mode: 'swirl' } } }, /mode/]
  ]
  for (const [name, value, reason] of bad) {
    const parsed = codecs.taskSubmitted.parse(JSON.stringify(value))
    t.notOk(parsed.ok, name)
    if (!parsed.ok) {
      t.match(parsed.reason, reason, `${name}: reason names the field`)
      t.equal(parsed.taskId, id, `${name}: the task id is kept so the task can fail`)
    }
  }
})

t.test('garbage is refused without a task id', async (t) => {
  for (const raw of [null, '', 'not json', '[]', '{"task_id":"../../etc/passwd"}']) {
    const parsed = codecs.taskSubmitted.parse(raw)
    t.notOk(parsed.ok, String(raw))
    if (!parsed.ok) t.equal(parsed.taskId, undefined)
  }
})

t.test('encode refuses to produce an invalid event', async (t) => {
  t.throws(() => codecs.taskStatus.encode({ ...exampleTaskStatusV1, status: 'DONE' } as never), /invalid TaskStatusV1/)
})
