// The producer fix in patches/kafkajs@2.2.4.patch, on kafkajs's own send function: when a send
// outlives a leader's death and the partition moves to a broker that already answered, the retry
// must still write that partition (unpatched, it skipped the broker and the send resolved: an
// acknowledged message lost, tulios/kafkajs#1303, seen by the cluster fault suite). The brokers are
// stand-ins for this one function; the whole producer meets real brokers in the cluster suite.
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'

const require = createRequire(import.meta.url)
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (deps: unknown) => (args: unknown) => Promise<unknown[]>
const { KafkaJSConnectionError } = require('kafkajs/src/errors') as { KafkaJSConnectionError: new (message: string) => Error }

interface Written { broker: number, partition: number, values: string[] }

/** Topic `t` with partitions 0 and 1; `leaders()` says who leads them now. */
function fakeCluster (leaders: () => Record<number, number>, failOnce: Set<number>) {
  const written: Written[] = []
  const broker = (nodeId: number) => ({
    nodeId,
    async produce ({ topicData }: { topicData: Array<{ topic: string, partitions: Array<{ partition: number, messages: Array<{ value: string }> }> }> }) {
      if (failOnce.delete(nodeId)) throw new KafkaJSConnectionError(`broker ${nodeId} died`)
      for (const { partitions } of topicData) for (const p of partitions) written.push({ broker: nodeId, partition: p.partition, values: p.messages.map((m) => m.value) })
      return { topics: topicData.map(({ topic, partitions }) => ({ topicName: topic, partitions: partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })) }
    }
  })
  const brokers = new Map([1, 2].map((id) => [id, broker(id)]))
  const cluster = {
    refreshMetadataIfNecessary: async () => {},
    refreshMetadata: async () => {},
    addMultipleTargetTopics: async () => {},
    isConnected: () => true,
    removeBroker: () => {},
    findTopicPartitionMetadata: () => [{ partitionId: 0 }, { partitionId: 1 }],
    findBroker: async ({ nodeId }: { nodeId: string | number }) => brokers.get(Number(nodeId)),
    findLeaderForPartitions: (_topic: string, partitions: Array<string | number>) => {
      const byLeader: Record<number, number[]> = {}
      for (const p of partitions.map(Number)) (byLeader[leaders()[p]!] ??= []).push(p)
      return byLeader
    }
  }
  return { cluster, written }
}

const eosManager = {
  acquireBrokerLock: async () => {},
  releaseBrokerLock: async () => {},
  isTransactional: () => false,
  getSequence: () => 0,
  updateSequence: () => {},
  getProducerId: () => -1,
  getProducerEpoch: () => 0,
  getTransactionalId: () => undefined
}

/** kafkajs's retrier contract: call again while the attempt throws, up to 5 times. */
const retrier = async (attempt: (bail: (e: Error) => never, retryCount: number, retryTime: number) => Promise<unknown>): Promise<unknown> => {
  let last: unknown
  for (let i = 0; i < 5; i++) {
    try { return await attempt((e) => { throw e }, i, 0) } catch (err) { last = err }
  }
  throw last
}

const logger = { error: () => {}, debug: () => {}, warn: () => {}, info: () => {} }
const partitioner = ({ message }: { message: { key: string } }): number => Number(message.key)

t.test('a partition whose leader died moves to a broker that already answered: its messages are still written', async (t) => {
  let moved = false
  // Broker 1 leads partition 0, broker 2 partition 1; broker 2 dies mid-send and partition 1 moves to 1.
  const { cluster, written } = fakeCluster(() => (moved ? { 0: 1, 1: 1 } : { 0: 1, 1: 2 }), new Set([2]))
  cluster.refreshMetadata = async () => { moved = true }
  const send = createSendMessages({ logger, cluster, partitioner, eosManager, retrier })
  await send({ acks: -1, timeout: 1000, topicMessages: [{ topic: 't', messages: [{ key: '0', value: 'a' }, { key: '1', value: 'b' }] }] })
  t.same(written.filter((w) => w.partition === 1), [{ broker: 1, partition: 1, values: ['b'] }], 'partition 1 written once, by its new leader')
  t.same(written.filter((w) => w.partition === 0), [{ broker: 1, partition: 0, values: ['a'] }], 'partition 0 written once, not again on the retry')
})

t.test('a send where every broker answers writes each partition once', async (t) => {
  const { cluster, written } = fakeCluster(() => ({ 0: 1, 1: 2 }), new Set())
  const send = createSendMessages({ logger, cluster, partitioner, eosManager, retrier })
  const result = await send({ acks: -1, timeout: 1000, topicMessages: [{ topic: 't', messages: [{ key: '0', value: 'a' }, { key: '1', value: 'b' }, { key: '1', value: 'c' }] }] })
  t.same(written.sort((x, y) => x.partition - y.partition), [{ broker: 1, partition: 0, values: ['a'] }, { broker: 2, partition: 1, values: ['b', 'c'] }])
  t.equal(result.length, 2, 'one acknowledgement a partition')
})

// The consumer fix in the same patch, on kafkajs's own fetch manager: a broker leaves the pool (a
// dead broker's closed connection), so the fetchers are being replaced for the new set of brokers,
// and the consumer is stopped just then (a crash, or the supervisor replacing it). Unpatched, the
// fetch manager went on to start new fetchers after the stop; their fetch returned [] at once (the
// runner was no longer running) and they looped on microtasks for ever: the cluster suite's blurrer
// at 100 % CPU, its health server dead, after a broker leader was SIGKILLed.
const createFetchManager = require('kafkajs/src/consumer/fetchManager') as (deps: unknown) => { start: () => Promise<void>, stop: () => Promise<void> }
const quietLogger = { namespace: () => quietLogger, ...logger }

t.test('a consumer stopped while its fetchers are replaced after a broker left stops fetching, and timers still run', async (t) => {
  let nodeIds = [1, 2, 3]
  let running = true
  let fetches = 0
  const manager = createFetchManager({
    logger: quietLogger,
    getNodeIds: () => nodeIds,
    handler: async () => {},
    fetch: async (nodeId: number) => {
      fetches++
      if (!running) return [] // kafkajs's runner, once stopped
      if (nodeId === 1) { await sleep(5); nodeIds = [2, 3]; return [] } // its broker closed and removed from the pool
      await sleep(50) // a long poll on a live broker
      return []
    }
  })
  const started = manager.start()
  await sleep(20) // broker 1 is gone; the manager waits for the other fetchers to end before replacing them
  running = false // the runner's stop: not running, then the fetch manager stopped
  await manager.stop()
  await started
  const stoppedAt = fetches
  await sleep(100) // a starved event loop never gets here: the test times out
  t.equal(fetches, stoppedAt, 'no fetch after the stop')
})

t.test('a fetch that returns nothing at once is not retried on microtasks alone', async (t) => {
  let fetches = 0
  const manager = createFetchManager({ logger: quietLogger, getNodeIds: () => [1], handler: async () => {}, fetch: async () => { fetches++; return [] } })
  const started = manager.start()
  await sleep(100) // only reached if the fetch loop yields to timers
  await manager.stop()
  await started
  t.ok(fetches > 0 && fetches < 100, `${fetches} fetches in 100 ms, each followed by a pause`)
})
