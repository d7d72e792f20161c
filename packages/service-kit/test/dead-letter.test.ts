import t from 'tap'
import { codecs } from '@faceblur/contracts'
import { DEAD_LETTER_PREVIEW_BYTES, deadLetterFor } from '../src/dead-letter.js'

const message = (value: Buffer | null, key: string | null = 'k') => ({ topic: 'faceblur.tasks.submitted', partition: 3, offset: '42', key, value })
const refusal = { code: 'FB_ERR_EVENT_INVALID', reason: 'not JSON', stage: 'detector' }
const letterOf = (buf: Buffer) => { const p = codecs.deadLetter.parse(buf); if (!p.ok) throw new Error(p.reason); return p.value }

t.test('a small text event is kept whole', async (t) => {
  const letter = letterOf(deadLetterFor(message(Buffer.from('this is not json')), refusal))
  t.match(letter, { value: 'this is not json', value_encoding: 'utf8', value_truncated: false, value_bytes: 16, code: 'FB_ERR_EVENT_INVALID', partition: 3, offset: '42' })
  t.match(letter.value_sha256, /^[0-9a-f]{64}$/)
})

t.test('200 KB of NUL bytes make a letter of a few KiB, base64, with size and hash of the whole', async (t) => {
  const raw = Buffer.alloc(200_000)
  const encoded = deadLetterFor(message(raw), refusal)
  t.ok(encoded.length < 8 * 1024, `letter is ${encoded.length} bytes`)
  const letter = letterOf(encoded)
  t.equal(letter.value_encoding, 'base64')
  t.equal(Buffer.from(letter.value, 'base64').length, DEAD_LETTER_PREVIEW_BYTES)
  t.equal(letter.value_truncated, true)
  t.equal(letter.value_bytes, 200_000)
})

t.test('a long text cut inside a multi-byte character stays text', async (t) => {
  const raw = Buffer.from('é'.repeat(10_000)) // 2 bytes each: the preview ends mid-character or not
  const letter = letterOf(deadLetterFor(message(raw), refusal))
  t.equal(letter.value_encoding, 'utf8')
  t.ok(letter.value.length > 1000 && /^é+$/.test(letter.value))
})

t.test('keys and reasons are bounded; an empty message is fine', async (t) => {
  const letter = letterOf(deadLetterFor(message(null, 'x'.repeat(10_000)), { ...refusal, reason: 'r'.repeat(10_000), taskId: '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10' }))
  t.equal(letter.key?.length, 256)
  t.equal(letter.reason.length, 2048)
  t.equal(letter.value_bytes, 0)
  t.equal(letter.task_id, '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10')
})
