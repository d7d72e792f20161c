// The topics the project creates: partitions, replicas and the in-sync replicas a write needs.
import t from 'tap'
import { namesFor } from '@faceblur/contracts'
import { pipelineTopics } from '../src/provision.js'

const { topics } = namesFor('t.')

t.test('one replica by default (the single local broker), no min.insync.replicas of ours', async (t) => {
  const specs = pipelineTopics(topics, 6, 3600_000)
  t.ok(specs.every((s) => s.replicationFactor === 1))
  t.ok(specs.every((s) => s.config?.['min.insync.replicas'] === undefined))
  t.same(specs.filter((s) => s.config !== undefined).map((s) => s.topic), [topics.status], 'only the status topic has settings')
  t.equal(specs.find((s) => s.topic === topics.deadLetter)?.partitions, 1)
})

t.test('on a cluster: three replicas, two in sync for a write, the status topic keeps its own settings', async (t) => {
  const specs = pipelineTopics(topics, 6, 3600_000, 3)
  t.ok(specs.every((s) => s.replicationFactor === 3 && s.config?.['min.insync.replicas'] === '2'))
  const status = specs.find((s) => s.topic === topics.status)
  t.equal(status?.config?.['cleanup.policy'], 'compact,delete')
  t.equal(status?.config?.['retention.ms'], '3600000')
})

t.test('two replicas: both must be in sync (min(2, replicas))', async (t) => {
  t.ok(pipelineTopics(topics, 1, 1000, 2).every((s) => s.config?.['min.insync.replicas'] === '2'))
})
