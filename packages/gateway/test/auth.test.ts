import t from 'tap'
import type { TaskStatusV1 } from '@faceblur/contracts'
import { ownerOf, parseKeys, redactedUrl, visibleTo } from '../src/auth.js'

t.test('keys come from the list and the file, trimmed and de-duplicated', async (t) => {
  t.same(parseKeys(' a, b ,,a', '# ops keys\nc\n\n b \n'), ['a', 'b', 'c'])
  t.same(parseKeys('', undefined), [])
})

t.test('the owner is a stable hash, never the key', async (t) => {
  t.equal(ownerOf('secret'), ownerOf('secret'))
  t.not(ownerOf('secret'), ownerOf('other'))
  t.match(ownerOf('secret'), /^[0-9a-f]{32}$/)
  t.notMatch(ownerOf('secret'), /secret/)
})

t.test('a task is visible to its owner, and an unowned one to all', async (t) => {
  const base = { task_id: '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10', kind: 'detect', status: 'PENDING', stage: 'gateway', at: '2026-11-25T10:00:00.000Z' } as TaskStatusV1
  t.ok(visibleTo(base, undefined))
  t.ok(visibleTo(base, ownerOf('a')))
  const owned = { ...base, owner: ownerOf('a') }
  t.ok(visibleTo(owned, ownerOf('a')))
  t.notOk(visibleTo(owned, ownerOf('b')))
  t.notOk(visibleTo(owned, undefined))
})

t.test('URLs are logged with any api_key redacted', async (t) => {
  t.equal(redactedUrl('/ws?api_key=s3cret'), '/ws?api_key=[redacted]')
  t.equal(redactedUrl('/ws?x=1&API_KEY=s3cret&y=2'), '/ws?x=1&API_KEY=[redacted]&y=2')
  t.equal(redactedUrl('/task_result/abc'), '/task_result/abc')
})
