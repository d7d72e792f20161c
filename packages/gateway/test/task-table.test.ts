import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { TaskTable } from '../src/task-table.js'

/** A model of the table: what every id should find, checked against the real one. */
function check (t: Test, table: TaskTable, expected: Map<string, { code: number, detail?: string }>, absent: string[]): void {
  let wrong = 0
  for (const [id, want] of expected) {
    const record = table.find(id)
    if (record === -1 || table.idOf(record) !== id || table.code(record) !== want.code || table.detail(record) !== want.detail) wrong++
  }
  t.equal(wrong, 0, `all ${expected.size} present ids found with their fields`)
  t.equal(absent.filter((id) => table.find(id) !== -1).length, 0, `none of ${absent.length} absent ids found`)
  t.equal(table.size, expected.size)
  t.equal([...table.records()].length, expected.size, 'records() yields each live record once')
}

t.test('ids round-trip, and finds agree with a Map through inserts and removals in random order', async (t) => {
  const table = new TaskTable()
  const expected = new Map<string, { code: number, detail?: string }>()
  const removed: string[] = []
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 5000; i++) {
      const id = randomUUID()
      const record = table.insert(id)
      const code = (round * 5000 + i) % 64
      table.setCode(record, code)
      expected.set(id, { code })
    }
    // Remove a random half: backward-shift deletion must keep every probe chain whole.
    for (const id of [...expected.keys()].filter(() => Math.random() < 0.5)) {
      table.remove(table.find(id))
      expected.delete(id)
      removed.push(id)
    }
    check(t, table, expected, removed)
  }
  t.equal(table.idOf(table.insert('00000000-0000-4000-8000-000000000000')), '00000000-0000-4000-8000-000000000000', 'leading zeros kept')
})

t.test('ids that differ in one word only are told apart', async (t) => {
  const table = new TaskTable()
  const ids = Array.from({ length: 3000 }, (_, i) => `aaaaaaaa-aaaa-4aaa-8aaa-${i.toString(16).padStart(12, '0')}`)
  for (const id of ids) table.setCode(table.insert(id), ids.indexOf(id) % 50)
  check(t, table, new Map(ids.map((id, i) => [id, { code: i % 50 }])), ['aaaaaaaa-aaaa-4aaa-8aaa-ffffffffffff'])
})

t.test('fields survive the arrays growing; a removed record is reused zeroed', async (t) => {
  const table = new TaskTable()
  const first = table.insert(randomUUID())
  table.setAt(first, 1_795_000_000_123)
  table.setBorn(first, 1_795_000_000_000)
  table.setOwner(first, 7)
  table.setModel(first, 2)
  for (let i = 0; i < 10_000; i++) table.insert(randomUUID())
  t.same([table.at(first), table.born(first), table.owner(first), table.model(first)], [1_795_000_000_123, 1_795_000_000_000, 7, 2])
  const id = table.idOf(first)
  table.remove(first)
  t.equal(table.find(id), -1)
  const reused = table.insert(randomUUID())
  t.equal(reused, first, 'the freed record is taken first')
  t.same([table.at(reused), table.born(reused), table.owner(reused), table.model(reused), table.detail(reused)], [0, 0, 0, 0, undefined])
})

t.test('details survive the arena filling, compacting and holding one larger than its chunks', async (t) => {
  const table = new TaskTable()
  const expected = new Map<string, { code: number, detail?: string }>()
  const removed: string[] = []
  const detailOf = (i: number): string => JSON.stringify({ faces: Array.from({ length: 1 + (i % 7) }, () => [i, i + 1, i + 2, i + 3]), note: i % 3 === 0 ? 'visage, 顔, 😀' : '' })
  let written = 0
  for (let i = 0; i < 100_000; i++) {
    const id = randomUUID()
    const record = table.insert(id)
    table.setDetail(record, detailOf(i))
    written += Buffer.byteLength(detailOf(i))
    expected.set(id, { code: 0, detail: detailOf(i) })
    if (i % 4 !== 0) { // most go again, so the arena fills with freed space and compacts
      table.remove(record)
      expected.delete(id)
      removed.push(id)
    }
  }
  const [some, another] = [...expected.keys()]
  table.setDetail(table.find(some!), '{"error":{"code":"FB_ERR_EXPIRED"}}')
  expected.set(some!, { code: 0, detail: '{"error":{"code":"FB_ERR_EXPIRED"}}' })
  const large = JSON.stringify({ faces: Array.from({ length: 60_000 }, (_, i) => [i, i, i, i]) })
  t.ok(Buffer.byteLength(large) > 1 << 20, 'the large detail exceeds an arena chunk')
  table.setDetail(table.find(another!), large)
  expected.set(another!, { code: 0, detail: large })
  check(t, table, expected, removed.slice(0, 2000))
  // Without compaction the arena alone would hold all that was written; with it, at most about
  // twice the live quarter.
  t.ok(table.byteLength < written * 0.75, `compacted: ${table.byteLength} bytes held after ${written} bytes of details written`)
  table.remove(table.find(another!))
  expected.delete(another!)
  check(t, table, expected, [another!])
})
