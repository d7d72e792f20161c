import t from 'tap'
import { isTaskId, resultKey, uploadKey, ERRORS } from '../src/index.js'

t.test('keys derive from the task id alone', async (t) => {
  t.equal(uploadKey('abc'), 'uploads/abc')
  t.equal(resultKey('abc'), 'results/abc')
})

t.test('task ids are lower-case UUIDs and nothing else', async (t) => {
  t.ok(isTaskId('0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10'))
  for (const bad of ['', '0B6F5C1E-8F0E-4A51-9C43-2F1D0C3C9A10', '../uploads/x', 42, null]) t.notOk(isTaskId(bad), String(bad))
})

t.test('every error code is well formed and has a message and an HTTP status', async (t) => {
  for (const [code, def] of Object.entries(ERRORS)) {
    t.match(code, /^FB_ERR_[A-Z]+(_[A-Z]+)*$/)
    t.ok(def.message.length > 0)
    t.ok(def.status >= 400 && def.status < 600)
  }
})
