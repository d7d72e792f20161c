// The Kafka and object-store adapters against the real local servers (`npm test` starts them).
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { Client } from 'minio'
import t from 'tap'
import { pino } from 'pino'
import { createBus, type BusMessage } from '../src/bus.js'
import { loadEnvConfig, SharedEnv } from '../src/env-config.js'
import { storeFromConfig } from '../src/connect.js'
import { createObjectStore } from '../src/object-store.js'
import { lifetimes } from '../src/provision.js'

const config = loadEnvConfig(SharedEnv, process.env)
const logger = pino({ level: 'warn' })
const bus = createBus({ brokers: config.KAFKA_BROKERS.split(','), clientId: 'service-kit-test', logger })
const store = storeFromConfig(config)
t.teardown(() => bus.close())

t.test('object store: put, get, remove, and a coded error for a missing object', async (t) => {
  await store.ensureBucket()
  await store.ensureBucket() // idempotent
  const key = `test/${randomUUID()}`
  await store.put(key, Buffer.from('hello'), 'text/plain')
  t.equal((await store.get(key)).toString(), 'hello')
  await store.remove(key)
  await t.rejects(store.get(key), { code: 'FB_ERR_SOURCE_MISSING', retriable: false })
  t.equal(await store.ready(), true)
})

t.test('object store: streams, files, ranges, listing and removing a prefix', async (t) => {
  await store.ensureBucket()
  const prefix = `test/${randomUUID()}/`
  const body = Buffer.from('0123456789'.repeat(1000))
  await store.putStream(`${prefix}a`, Readable.from([body.subarray(0, 4000), body.subarray(4000)]), 'video/mp4')
  t.same(await store.stat(`${prefix}a`), { bytes: 10_000, contentType: 'video/mp4' })
  const range = Buffer.concat(await (await store.getRange(`${prefix}a`, 9995, 3)).toArray())
  t.equal(range.toString(), '567', 'a range is the bytes at that offset')
  const dir = await mkdtemp(join(tmpdir(), 'store-test-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  await store.getFile(`${prefix}a`, join(dir, 'a'))
  t.same(await readFile(join(dir, 'a')), body)
  await writeFile(join(dir, 'b'), 'bee')
  await store.putFile(`${prefix}b/c`, join(dir, 'b'), 'text/plain')
  t.same(await store.list(prefix), [`${prefix}a`, `${prefix}b/c`], 'listing is recursive and sorted')
  await store.removePrefix(prefix)
  t.same(await store.list(prefix), [])
  await t.rejects(store.stat(`${prefix}a`), { code: 'FB_ERR_SOURCE_MISSING' })
})

t.test('object store: an unreachable endpoint is a retriable error', async (t) => {
  const down = createObjectStore({ endpoint: 'http://127.0.0.1:1', accessKey: 'x', secretKey: 'xxxxxxxx', region: 'us-east-1', bucket: 'nope' })
  await t.rejects(down.get('k'), { code: 'FB_ERR_STORAGE_UNAVAILABLE', retriable: true })
  t.equal(await down.ready(), false)
})

t.test('object store: several endpoints of one store, a dead one passed over', async (t) => {
  // A dead node first (nothing listens on port 1), then the real MinIO: every call still lands.
  const endpoint = `http://127.0.0.1:1,${config.S3_ENDPOINT}`
  const nodes = createObjectStore({ endpoint, accessKey: config.S3_ACCESS_KEY, secretKey: config.S3_SECRET_KEY, region: config.S3_REGION, bucket: config.S3_BUCKET })
  t.equal(await nodes.ready(), true, 'ready while any node answers')
  const key = `uploads/${randomUUID()}`
  await nodes.put(key, Buffer.from('over the live node'), 'text/plain')
  t.equal((await store.get(key)).toString(), 'over the live node', 'written to the store itself')
  t.equal((await nodes.get(key)).toString(), 'over the live node')
  await nodes.remove(key)
  await t.rejects(nodes.get(key), { code: 'FB_ERR_SOURCE_MISSING' }, 'a missing object is not a dead node: no endless failover')
  const allDead = createObjectStore({ endpoint: 'http://127.0.0.1:1,http://127.0.0.1:2', accessKey: 'x', secretKey: 'xxxxxxxx', region: 'us-east-1', bucket: 'nope' })
  await t.rejects(allDead.get('k'), { code: 'FB_ERR_STORAGE_UNAVAILABLE', retriable: true }, 'every node dead: unavailable, retriable')
})

t.test('bus: topics are created once, messages keep per-key order, offsets are committed', async (t) => {
  const topic = `faceblur.test.${randomUUID()}`
  await bus.ensureTopics([{ topic, partitions: 3 }])
  await bus.ensureTopics([{ topic, partitions: 3 }]) // idempotent
  t.equal(await bus.ready([topic]), true)

  const keys = ['a', 'b', 'c']
  await bus.publish(keys.flatMap((key) => [1, 2, 3].map((n) => ({ topic, key, value: Buffer.from(`${key}${n}`) }))))

  const received: BusMessage[] = []
  const groupId = `test-${randomUUID()}`
  let failedOnce = false
  const all = new Promise<void>((resolve) => {
    void bus.consume({
      groupId,
      topics: [topic],
      fromBeginning: true,
      handle: async (m) => {
        // The first delivery of b2 fails: it must come again, and b3 only after it.
        if (m.value?.toString() === 'b2' && !failedOnce) { failedOnce = true; throw new Error('try again') }
        received.push(m)
        if (received.length === 9) resolve()
      }
    }).then((sub) => t.teardown(() => sub.stop()))
  })
  await all
  for (const key of keys) {
    t.same(received.filter((m) => m.key === key).map((m) => m.value?.toString()), [1, 2, 3].map((n) => `${key}${n}`), `key ${key} in order, none lost`)
  }
  t.ok(failedOnce, 'the failed message was redelivered')
})

t.test('bus: a consumer of a topic its broker does not know yet subscribes once the topic appears', async (t) => {
  // On a fresh cluster a broker may not know a topic just created on another ("does not host this
  // topic-partition", retriable); the consumer waits for it instead of failing its stage's start.
  const topic = `faceblur.test.${randomUUID()}`
  const subscribing = bus.consume({ groupId: `test-${randomUUID()}`, topics: [topic], fromBeginning: true, handle: async () => {} })
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await bus.ensureTopics([{ topic, partitions: 1 }])
  const sub = await subscribing
  t.teardown(() => sub.stop())
  t.equal(sub.health().restarts, 0, 'subscribed by the first consumer, not a replacement')
})

t.test('bus: offsets and a group\'s lag', async (t) => {
  const topic = `faceblur.test.${randomUUID()}`
  await bus.ensureTopics([{ topic, partitions: 2 }])
  await bus.publish([1, 2, 3].map((n) => ({ topic, key: `k${n}`, value: Buffer.from(String(n)) })))
  const offsets = await bus.offsets(topic)
  t.equal(offsets.length, 2)
  // At least once: on a topic this fresh a partition may answer NOT_LEADER while the other takes
  // its message, and kafkajs then sends the whole request again (seen once: 5 messages for 3).
  const written = offsets.reduce((sum, p) => sum + Number(p.high - p.low), 0)
  t.ok(written >= 3 && written <= 6, `the three messages are on the topic (${written} written)`)
  t.equal(await bus.lag(`nobody-${randomUUID()}`, topic), written, 'a group that read nothing lags by everything')
})

t.test('object store: results, uploads and video work expire by lifecycle rule', async (t) => {
  const rules = lifetimes({ FACEBLUR_RESULT_TTL_HOURS: 24, FACEBLUR_TASK_MAX_AGE_HOURS: 6 }).expiry
  t.same(rules, [{ prefix: 'results/', days: 1 }, { prefix: 'uploads/', days: 2 }, { prefix: 'work/', days: 2 }], 'an upload outlives the longest a task may wait')
  await store.expire(rules)
  // Read back through a client of its own: what MinIO holds, not what we asked for.
  const url = new URL(config.S3_ENDPOINT)
  const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: url.protocol === 'https:', accessKey: config.S3_ACCESS_KEY, secretKey: config.S3_SECRET_KEY, region: config.S3_REGION })
  const held = await client.getBucketLifecycle(store.bucket)
  const byPrefix = Object.fromEntries((held?.Rule ?? []).map((r) => [r.Filter?.Prefix, r.Expiration?.Days]))
  t.same(byPrefix, { 'results/': 1, 'uploads/': 2, 'work/': 2 }, 'MinIO holds one rule per prefix with its days')
})
