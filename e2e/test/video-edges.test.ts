// The blur's privacy promise on a hard clip, through the whole service: a fast diagonal pan (faces
// crossing all four edges, entering and leaving), a zoom, and a hard cut to a crowd of small faces.
// Every frame and every face the service's own detector finds on the input frame is checked in
// the output: no face of 20 px or more keeps more than 30 % of its central detail, none more than
// 50 %, and the background away from faces barely changes.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Client, freePort, start, type RunningService } from '../support/harness.js'
import { openServiceDetector } from '../support/detector.js'
import { checkEveryFace, expectBlurred } from '../support/face-check.js'
import { makeScenes, SCENE_SIZE } from '../support/scenes.js'

const port = freePort()
const client = new Client(`http://127.0.0.1:${port}`)
const services: RunningService[] = []
const dir = await mkdtemp(join(tmpdir(), 'faceblur-video-edges-'))
const stageEnv = { FACEBLUR_VIDEO_SEGMENT_S: '1' }

t.before(async () => {
  services.push(...await Promise.all([
    start('gateway', { PORT: String(port) }),
    start('video', stageEnv),
    start('detector', stageEnv),
    start('blurrer', stageEnv)
  ]))
})
t.teardown(async () => {
  await Promise.all(services.map(async (s) => { await s.stop() }))
  await rm(dir, { recursive: true, force: true })
})

t.test('fast pan, zoom and hard cut: every face in every frame blurred, the background kept', async (t) => {
  const { clip, frames, cut } = await makeScenes(dir, 'scenes.mp4')
  const id = await client.submitOk('video', clip)
  const { final } = await client.waitDone(id, 300_000)
  t.equal(final.status, 'SUCCESS', JSON.stringify(final.error ?? ''))
  const output = Buffer.from(await (await fetch(`${client.base}/results/${id}`)).arrayBuffer())

  const { detector, release } = await openServiceDetector()
  t.teardown(release)
  const report = await checkEveryFace(dir, clip, output, SCENE_SIZE, detector)
  t.equal(report.frames, frames, 'every frame is in the result')

  // The clip is as hard as it claims: faces cut by each of the four edges, and after the cut.
  const { width, height } = SCENE_SIZE
  const cutBy = {
    left: report.faces.filter((f) => f.box[0] <= 1).length,
    top: report.faces.filter((f) => f.box[1] <= 1).length,
    right: report.faces.filter((f) => f.box[2] >= width - 1).length,
    bottom: report.faces.filter((f) => f.box[3] >= height - 1).length
  }
  t.ok(Object.values(cutBy).every((n) => n >= 10), `faces cut by every edge were checked: ${JSON.stringify(cutBy)}`)
  t.ok(report.faces.filter((f) => f.frame >= cut).length >= 100, 'and faces of the crowd after the hard cut')
  t.ok(report.faces.filter((f) => f.side < 40).length >= 50, 'including small ones')

  expectBlurred(t, 'pan-zoom-cut', report)
})
