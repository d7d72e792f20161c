import t from 'tap'
import { Type } from '@sinclair/typebox'
import { loadEnvConfig, SharedEnv } from '../src/env-config.js'

t.test('defaults point at the local servers and are frozen', async (t) => {
  const config = loadEnvConfig(SharedEnv, {})
  t.equal(config.KAFKA_BROKERS, '127.0.0.1:9092')
  t.equal(config.S3_ENDPOINT, 'http://127.0.0.1:9000')
  t.equal(config.FACEBLUR_TOPIC_PARTITIONS, 6)
  t.equal(config.FACEBLUR_KAFKA_REPLICATION_FACTOR, 1, 'one replica: the single local broker')
  t.equal(config.FACEBLUR_KEEP_ORIGINALS, false)
  t.ok(Object.isFrozen(config))
})

t.test('strings from the environment become numbers and booleans', async (t) => {
  const config = loadEnvConfig(SharedEnv, { FACEBLUR_TOPIC_PARTITIONS: '12', FACEBLUR_KEEP_ORIGINALS: 'true', FACEBLUR_RESULT_TTL_HOURS: '0.5' })
  t.equal(config.FACEBLUR_TOPIC_PARTITIONS, 12)
  t.equal(config.FACEBLUR_KEEP_ORIGINALS, true)
  t.equal(config.FACEBLUR_RESULT_TTL_HOURS, 0.5)
})

t.test('an empty variable means "use the default"', async (t) => {
  t.equal(loadEnvConfig(SharedEnv, { LOG_LEVEL: '' }).LOG_LEVEL, 'info')
})

t.test('bad values stop the service with every culprit named', async (t) => {
  t.throws(() => loadEnvConfig(SharedEnv, { FACEBLUR_TOPIC_PARTITIONS: 'many', LOG_LEVEL: 'loud' }), /FACEBLUR_TOPIC_PARTITIONS="many".*LOG_LEVEL="loud"|LOG_LEVEL="loud".*FACEBLUR_TOPIC_PARTITIONS="many"/)
  t.throws(() => loadEnvConfig({ PORT: Type.Integer({ minimum: 1 }) }, {}), /PORT/, 'a required variable without default')
})
