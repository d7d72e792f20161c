import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { decide, formatStateLine, loadState, openStateWriter, parseState, parseStateLine, stateKey, type StateEntry } from '../src/state-file.js'

const id1 = '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10'
const id2 = '1c7a6d2f-9a1f-4b62-8d54-3a2e1d4d0b21'
const entry = (over: Partial<StateEntry> = {}): StateEntry => ({ path: 'a/b.jpg', kind: 'detect', task_id: id1, status: 'SUBMITTED', bytes: 10, mtime_ms: 1000.5, at: '2026-01-01T00:00:00.000Z', ...over })

t.test('a line round-trips; bad lines are refused', async (t) => {
  const e = entry({ status: 'FAILURE', error: { code: 'FB_ERR_IMAGE_UNDECODABLE', message: 'truncated' } })
  t.same(parseStateLine(formatStateLine(e)), e)
  t.ok(formatStateLine(e).endsWith('\n'))
  for (const line of ['', '   ', 'not json', '{"path":"a.jpg"', 'null', '[]', '42',
    JSON.stringify({ ...entry(), task_id: 'nope' }), JSON.stringify({ ...entry(), status: 'DONE' }), JSON.stringify({ ...entry(), kind: 'scan' }),
    JSON.stringify({ ...entry(), path: '' }), JSON.stringify({ ...entry(), bytes: '10' })]) {
    t.equal(parseStateLine(line), undefined, line)
  }
})

t.test('the last line for a (kind, path) wins; malformed lines are counted', async (t) => {
  const text = [
    formatStateLine(entry()),
    formatStateLine(entry({ path: 'c.png', task_id: id2 })),
    formatStateLine(entry({ status: 'SUCCESS' })),
    formatStateLine(entry({ kind: 'blur', task_id: id2 })),
    '{"path":"cut short by a cra' // a crash mid-line
  ].join('')
  const state = parseState(text)
  t.equal(state.entries.size, 3)
  t.equal(state.entries.get(stateKey('detect', 'a/b.jpg'))?.status, 'SUCCESS')
  t.equal(state.entries.get(stateKey('blur', 'a/b.jpg'))?.status, 'SUBMITTED')
  t.equal(state.entries.get(stateKey('detect', 'c.png'))?.task_id, id2)
  t.equal(state.malformed, 1)
})

t.test('what to do with a file', async (t) => {
  const file = { bytes: 10, mtimeMs: 1000.5 }
  t.equal(decide(undefined, file, false), 'submit', 'new')
  t.equal(decide(entry({ status: 'SUCCESS' }), file, false), 'skip-done')
  t.equal(decide(entry({ status: 'SUCCESS' }), { ...file, bytes: 11 }, false), 'submit', 'changed size')
  t.equal(decide(entry({ status: 'SUCCESS' }), { ...file, mtimeMs: 2000 }, false), 'submit', 'changed mtime')
  t.equal(decide(entry({ status: 'FAILURE' }), file, false), 'skip-failed')
  t.equal(decide(entry({ status: 'FAILURE' }), file, true), 'submit', '--retry-failed')
  t.equal(decide(entry({ status: 'SUBMITTED' }), file, false), 'follow')
  t.equal(decide(entry({ status: 'SUBMITTED' }), file, true), 'follow')
})

t.test('load and append on disk', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'faceblur-state-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'nested', 'state.jsonl')
  t.equal((await loadState(file)).entries.size, 0, 'a missing file is an empty state')
  const w = await openStateWriter(file)
  w.append(entry())
  w.append(entry({ status: 'SUCCESS' }))
  await w.close()
  const w2 = await openStateWriter(file)
  w2.append(entry({ path: 'x.png', task_id: id2 }))
  await w2.close()
  t.equal((await readFile(file, 'utf8')).split('\n').length, 4, 'three lines appended, across two writers')
  const state = await loadState(file)
  t.equal(state.entries.size, 2)
  t.equal(state.entries.get(stateKey('detect', 'a/b.jpg'))?.status, 'SUCCESS')
  await writeFile(file, 'garbage\n', { flag: 'a' })
  t.equal((await loadState(file)).malformed, 1)
})
