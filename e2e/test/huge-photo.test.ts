// A 59 MP photo beside ordinary ones, against the real Kafka, MinIO and model: the detector keeps
// its group membership through it, every task ends, and a deadline ends what overruns. It runs
// alone (`npm test` gives it the machine): the deadline case wants the next task done within 1 s.
import sharp from 'sharp'
import t from 'tap'
import { submitDirect } from '../support/status-watcher.js'
import { health, pipeline, seed, services, settle, small, startStage } from '../support/fault-rig.js'
import { stageCounter } from '../support/stage-health.js'

t.test('a 59 MP photo beside ordinary ones: membership kept, everything done, and a deadline ends what overruns', async (t) => {
  const tile = await sharp(seed).raw().toBuffer({ resolveWithObject: true })
  const { width, height } = tile.info
  // The fixture 6 × 6: 9804 × 6000 (59 MP), within the default pixel and byte limits.
  const big = await sharp({ create: { width: width * 6, height: height * 6, channels: 3, background: '#808080' } })
    .composite(Array.from({ length: 36 }, (_, i) => ({ input: tile.data, raw: tile.info, left: (i % 6) * width, top: Math.floor(i / 6) * height })))
    .jpeg({ quality: 80 }).toBuffer()
  t.comment(`big photo: ${width * 6}×${height * 6}, ${(big.length / 1e6).toFixed(1)} MB`)
  const rebalancesBefore = await stageCounter(health.detector, 'faceblur_stage_consumer_rebalances', 'submitted')
  const bigId = await submitDirect(pipeline, 'detect', big)
  const others = await Promise.all(Array.from({ length: 6 }, async () => await submitDirect(pipeline, 'detect', small)))
  const by = await settle(t, 'huge-photo', [bigId, ...others])
  t.equal(by.get('SUCCESS'), 1 + others.length, 'every task, the big photo and the ordinary ones, succeeds')
  t.equal(pipeline.statuses.get(bigId)?.status, 'SUCCESS', 'the big photo is detected')
  const bigResult = pipeline.statuses.get(bigId)?.result
  t.ok((bigResult?.kind === 'detect' ? bigResult.faces.length : 0) > 36, 'with its faces')
  t.equal(services.detector!.child.exitCode, null, 'the detector is still running')
  t.notOk(services.detector!.lines.some((l) => l.includes('consumer stopped; restarting')), 'its consumer never crashed')
  const rebalances = await stageCounter(health.detector, 'faceblur_stage_consumer_rebalances', 'submitted') - rebalancesBefore
  t.comment(`fault huge-photo: ${rebalances} rebalances of the detector's group while the 59 MP photo ran`)
  t.equal(rebalances, 0, 'membership kept: the detector\'s group never rebalanced while the big photo ran')

  // The same photo under a 1 s deadline: FAILURE with its own code, and the stage moves on.
  await services.detector!.stop()
  await startStage('detector', { FACEBLUR_TASK_TIMEOUT_S: '1' })
  const late = await submitDirect(pipeline, 'detect', big)
  const after = await submitDirect(pipeline, 'detect', small)
  await settle(t, 'deadline', [late, after])
  t.match(pipeline.statuses.get(late), { status: 'FAILURE', error: { code: 'FB_ERR_TASK_TIMEOUT' } })
  t.equal(pipeline.statuses.get(after)?.status, 'SUCCESS', 'the next task is served')
  await services.detector!.stop()
  await startStage('detector')
})
