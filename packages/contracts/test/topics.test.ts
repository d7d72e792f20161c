import t from 'tap'
import { CONSUMER_GROUPS, TOPICS, namesFor } from '../src/index.js'

t.test('the default names are the ones in DESIGN.md, and the video topics beside them', async (t) => {
  t.same(TOPICS, {
    submitted: 'faceblur.tasks.submitted',
    facesDetected: 'faceblur.faces.detected',
    status: 'faceblur.tasks.status',
    deadLetter: 'faceblur.tasks.dlq',
    videoSegments: 'faceblur.video.segments',
    videoFaces: 'faceblur.video.faces',
    videoEncoded: 'faceblur.video.encoded'
  })
  t.same(CONSUMER_GROUPS, {
    detector: 'detector',
    blurrer: 'blurrer',
    videoSplitter: 'video.split',
    videoDetector: 'detector.video',
    videoBlurrer: 'blurrer.video',
    videoJoiner: 'video.join'
  })
})

t.test('a namespace prefixes every topic and group', async (t) => {
  const { topics, groups } = namesFor('staging.')
  t.equal(topics.status, 'staging.faceblur.tasks.status')
  t.equal(groups.detector, 'staging.detector')
  t.throws(() => namesFor('no spaces'), /invalid namespace/)
})
