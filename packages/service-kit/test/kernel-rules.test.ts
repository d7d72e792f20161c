// The kernel's pure rules: retry bounds, deadlines, the source trust boundary, Kafka error codes.
import t from 'tap'
import { FaceBlurError } from '@faceblur/contracts'
import { translateBusError } from '../src/bus-errors.js'
import { backoffMs, withDeadline, withRetries } from '../src/retry.js'
import { checkSource } from '../src/source-trust.js'
import { heldLimitMs } from '../src/stage-kernel.js'

const policy = { maxMs: 300, initialDelayMs: 10, maxDelayMs: 40 }

t.test('backoff doubles up to its cap', async (t) => {
  t.same([1, 2, 3, 4, 5].map((n) => backoffMs(n, policy)), [10, 20, 40, 40, 40])
})

t.test('retriable errors are retried until they stop, within the bound', async (t) => {
  let calls = 0
  const value = await withRetries(async () => {
    if (++calls < 3) throw new FaceBlurError('FB_ERR_STORAGE_UNAVAILABLE')
    return 'ok'
  }, policy)
  t.equal(value, 'ok')
  t.equal(calls, 3)
})

t.test('a retriable error that persists is thrown once the bound is spent, never looped for ever', async (t) => {
  let calls = 0
  const started = Date.now()
  await t.rejects(withRetries(async () => { calls++; throw new FaceBlurError('FB_ERR_BUS_UNAVAILABLE') }, policy), { code: 'FB_ERR_BUS_UNAVAILABLE' })
  t.ok(Date.now() - started <= policy.maxMs + 50, 'within the bound')
  t.ok(calls > 3, `${calls} attempts`)
})

t.test('a non-retriable error is thrown at once', async (t) => {
  let calls = 0
  await t.rejects(withRetries(async () => { calls++; throw new FaceBlurError('FB_ERR_IMAGE_UNDECODABLE') }, policy), { code: 'FB_ERR_IMAGE_UNDECODABLE' })
  t.equal(calls, 1)
})

t.test('a deadline fails the work with FB_ERR_TASK_TIMEOUT and aborts its signal', async (t) => {
  let signal: AbortSignal | undefined
  await t.rejects(withDeadline(50, async (s) => { signal = s; await new Promise((resolve) => setTimeout(resolve, 1000)) }), { code: 'FB_ERR_TASK_TIMEOUT' })
  t.equal(signal?.aborted, true)
  t.equal(await withDeadline(1000, async () => 7), 7)
})

t.test('sources: only uploads/{task_id} in the configured bucket, within the upload limit', async (t) => {
  const id = '0b6f5c1e-8f0e-4a51-9c43-2f1d0c3c9a10'
  const limits = { bucket: 'faceblur', maxBytes: 1000 }
  const ok = { bucket: 'faceblur', key: `uploads/${id}`, content_type: 'image/jpeg', bytes: 1000 }
  t.doesNotThrow(() => { checkSource(id, ok, limits) })
  for (const [what, source] of [
    ['another task\'s result', { ...ok, key: 'results/6a1e7f4e-58c4-4e8b-9d2a-0f0c1f2e3d4c' }],
    ['another task\'s upload', { ...ok, key: 'uploads/6a1e7f4e-58c4-4e8b-9d2a-0f0c1f2e3d4c' }],
    ['a path trick', { ...ok, key: `uploads/${id}/../../results/x` }],
    ['another bucket', { ...ok, bucket: 'secrets' }],
    ['an oversize object', { ...ok, bytes: 1001 }]
  ] as const) {
    t.throws(() => { checkSource(id, source, limits) }, { code: 'FB_ERR_SOURCE_REFUSED' }, what)
  }
})

t.test('Kafka errors become coded errors: refusals final, the rest retriable', async (t) => {
  const tooLarge = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE', retriable: false })
  t.match(translateBusError(tooLarge), { code: 'FB_ERR_BUS_REFUSED', retriable: false })
  const wrapped = Object.assign(new Error('retries exhausted'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: tooLarge })
  t.match(translateBusError(wrapped), { code: 'FB_ERR_BUS_REFUSED' })
  t.match(translateBusError(Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError' })), { code: 'FB_ERR_BUS_UNAVAILABLE', retriable: true })
  const coded = new FaceBlurError('FB_ERR_INTERNAL')
  t.equal(translateBusError(coded), coded)
})

t.test('no message is held past its work, its publishing and its clean-up, each at their own bound', async (t) => {
  const settings = { taskTimeoutMs: 120_000, retry: { maxMs: 120_000, initialDelayMs: 500, maxDelayMs: 10_000 } }
  const held = heldLimitMs(settings)
  // The work's last attempt may start just inside the retry bound; the outcome, then a FAILURE, may each retry as long.
  t.ok(held > settings.retry.maxMs + settings.taskTimeoutMs + 2 * settings.retry.maxMs, `${held / 1000} s`)
  t.ok(held <= 10 * 60_000, 'and a wedged message lets go within ten minutes at the defaults')
})
