// consumeInto's word to the supervisor: a message handed over is a sign of life; a handler's
// heartbeat is not by itself. kafkajs's heartbeat returns at once, sending nothing, while the
// consumer is out of its group, so counting it kept a consumer out of its group looking alive for
// ever (the cluster suite's video stage after a rolling broker restart). The consumer here is a
// stand-in for the one function under test; the whole path meets real brokers in the cluster suite.
import type { Consumer, EachMessagePayload } from 'kafkajs'
import t from 'tap'
import { consumeInto } from '../src/bus-consumer.js'

t.test('a handler\'s heartbeats do not count as signs of life; the message does', async (t) => {
  let eachMessage: ((payload: EachMessagePayload) => Promise<void>) | undefined
  const committed: string[] = []
  const consumer = {
    subscribe: async () => {},
    run: async (config: { eachMessage: (payload: EachMessagePayload) => Promise<void> }) => { eachMessage = config.eachMessage },
    commitOffsets: async (offsets: Array<{ offset: string }>) => { committed.push(...offsets.map((o) => o.offset)) }
  } as unknown as Consumer
  let signs = 0
  let beats = 0
  await consumeInto(consumer, {
    groupId: 'g',
    topics: ['t'],
    handle: async (_message, { heartbeat }) => { for (let i = 0; i < 5; i++) await heartbeat() }
  }, () => { signs++ })
  // kafkajs's heartbeat while the consumer has no member id: it resolves and sends nothing.
  const heartbeat = async (): Promise<void> => { beats++ }
  await eachMessage!({ topic: 't', partition: 0, message: { offset: '41', key: null, value: Buffer.from('{}'), headers: {} }, heartbeat } as unknown as EachMessagePayload)
  t.equal(beats, 5, 'the handler heartbeated five times')
  t.equal(signs, 1, 'one sign of life: the message, not its heartbeats')
  t.same(committed, ['42'], 'the message was committed')
})
