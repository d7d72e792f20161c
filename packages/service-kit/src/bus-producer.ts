// The producer side of the Kafka adapter: one shared connection, coalesced sends, coded errors.
import { Partitioners, type Kafka, type Producer } from 'kafkajs'
import type { FaceBlurError } from '@faceblur/contracts'
import { translateBusError } from './bus-errors.js'
import { coalescing } from './coalesce.js'

export interface OutgoingMessage {
  topic: string
  key: string
  /** Null is a tombstone: on a compacted topic, the key and its earlier messages go. */
  value: Buffer | null
  headers?: Record<string, string>
}

export interface Publisher {
  publish: (messages: OutgoingMessage[]) => Promise<void>
  close: () => Promise<void>
}

/** Publishes through one producer of `kafka`, connected on the first publish. */
export function createPublisher (kafka: Kafka): Publisher {
  let producer: Promise<Producer> | undefined

  // Connect once, on first use; concurrent first publishes all wait for the same connection. A
  // failed connect is forgotten, so the next publish tries again instead of failing for ever.
  function connectedProducer (): Promise<Producer> {
    if (producer !== undefined) return producer
    const connecting = connectProducer(kafka)
    producer = connecting
    connecting.catch(() => { if (producer === connecting) producer = undefined })
    return connecting
  }

  // Concurrent publishes (several tasks finishing at once) share one produce request.
  const send = coalescing<OutgoingMessage>(async (messages) => {
    const topicMessages = byTopic(messages)
    try {
      const p = await connectedProducer()
      // acks -1 = all (also kafkajs's default, spelled out): the leader answers once every in-sync
      // replica has the batch, and a topic's min.insync.replicas (2 on a cluster, see provision.ts)
      // makes it refuse the write rather than acknowledge a single copy.
      await p.sendBatch({ acks: -1, topicMessages })
    } catch (err) {
      throw translateBusError(err)
    }
  }, (err) => (err as FaceBlurError).code === 'FB_ERR_BUS_REFUSED')

  return {
    async publish (messages) {
      if (messages.length > 0) await send(messages)
    },
    async close () {
      if (producer !== undefined) await producer.then(async (p) => { await p.disconnect() }, () => {})
    }
  }
}

async function connectProducer (kafka: Kafka): Promise<Producer> {
  // Not idempotent: kafkajs's idempotent producer loses acknowledged messages when one request
  // spans partitions and only some of them fail (it rewinds the sequence numbers of those that
  // were written too, so the broker drops the next batch as a duplicate; cf. tulios/kafkajs#1005).
  // Seen after every broker restart. A retry may duplicate an event instead, which every consumer
  // already tolerates (at-least-once). One request in flight keeps each partition in order.
  const p = kafka.producer({ idempotent: false, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
  await p.connect()
  return p
}

/** The messages grouped by topic, each topic's in the order given: one produce request's body. */
function byTopic (messages: OutgoingMessage[]): Array<{ topic: string, messages: Array<Omit<OutgoingMessage, 'topic'>> }> {
  const grouped = new Map<string, Array<Omit<OutgoingMessage, 'topic'>>>()
  for (const m of messages) {
    const list = grouped.get(m.topic) ?? []
    list.push({ key: m.key, value: m.value, ...(m.headers === undefined ? {} : { headers: m.headers }) })
    grouped.set(m.topic, list)
  }
  return [...grouped].map(([topic, msgs]) => ({ topic, messages: msgs }))
}
