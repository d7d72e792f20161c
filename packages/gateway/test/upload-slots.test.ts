import t from 'tap'
import { uploadSlots } from '../src/upload-slots.js'

const refused = (f: () => unknown): boolean => { try { f(); return false } catch (err) { return (err as { code?: string }).code === 'FB_ERR_TOO_MANY_UPLOADS' } }

t.test('one client holds at most its share; the others still get in', async (t) => {
  const slots = uploadSlots(6, 2)
  const a = [slots.take('a'), slots.take('a')]
  t.ok(refused(() => slots.take('a')), "a third of a's is refused")
  const b = [slots.take('b'), slots.take('b')]
  t.equal(slots.inProgress, 4)
  a[0]!()
  a[0]!() // giving back twice frees one slot only
  t.equal(slots.inProgress, 3)
  t.notOk(refused(() => slots.take('a')), 'a freed slot is a\'s again')
  for (const give of b) give()
})

t.test('the whole gateway\'s cap still holds across clients', async (t) => {
  const slots = uploadSlots(3, 2)
  slots.take('a'); slots.take('b'); slots.take('c')
  t.ok(refused(() => slots.take('d')), 'the fourth client waits for a free slot')
  t.match((() => { try { slots.take('d') } catch (err) { return (err as Error).message } })(), /3 uploads in progress \(limit 3\)/)
})

t.test('a client with nothing in progress leaves no entry behind', async (t) => {
  const slots = uploadSlots(100, 1)
  for (let i = 0; i < 1000; i++) slots.take(`client-${i}`)()
  t.equal(slots.inProgress, 0)
  t.notOk(refused(() => slots.take('client-1')))
})
