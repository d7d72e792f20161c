// Tracks: the camera's motion and the faces linked from frame to frame.
import t from 'tap'
import type { Box } from '@faceblur/contracts'
import { boxAt, cameraShifts, dominantShift, linkTracks } from '../src/tracks.js'

/** The frame of the temporal tests: large enough that no box touches its border. */
const F = { width: 1000, height: 1000 }

t.test('tracks: the camera\'s motion and the faces it links', async (t) => {
  const p = (x: number, y = 100): Box => [x, y, x + 40, y + 40]
  t.same(dominantShift([p(0), p(100), p(200)], [p(55), p(155), p(255)]), [55, 0], 'a pan: the move all faces agree on, though two of them are nearer another face')
  t.same(dominantShift([p(0)], []), [0, 0], 'nothing to compare')
  t.same(cameraShifts([[p(0), p(100)], [], [p(60), p(160)], [p(90), p(190)]], 2), [[0, 0], [30, 0], [30, 0], [30, 0]], 'across a frame with no faces, the move is spread over both')
  t.same(dominantShift([p(0)], [[0, 0, 400, 400]]), [0, 0], 'sizes too different to be the same face')
  const { tracks } = linkTracks([[p(0), p(100), p(200)], [p(55), p(155), p(255)], [p(110), p(210), p(310)]], 2, F)
  t.equal(tracks.length, 3, 'three faces, three tracks')
  t.same(tracks.map((tr) => tr.boxes.map((b) => b[0])), [[0, 55, 110], [100, 155, 210], [200, 255, 310]], 'each linked to itself, not to its neighbour')
  const gap = linkTracks([[p(20)], [], [], [p(26)]], 2, F).tracks
  t.equal(gap.length, 1, 'linked across a gap within the limit')
  t.equal(linkTracks([[p(20)], [], [], [], [p(26)]], 2, F).tracks.length, 2, 'not across a longer one')
  t.same(boxAt(gap[0]!, 1, 2, [[0, 0], [0, 0], [0, 0], [0, 0]], F), [22, 100, 62, 140], 'interpolated in the gap')
  t.equal(boxAt(gap[0]!, 6, 2, [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], F), null, 'nothing beyond the window')
})
