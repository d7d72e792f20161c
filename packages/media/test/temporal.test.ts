// The temporal window: boxes carried to the frames where a face was missed.
import t from 'tap'
import type { Box } from '@faceblur/contracts'
import { carryBoxes, countFaces, mergeCounts } from '../src/temporal.js'

/** The frame of the temporal tests: large enough that no box touches its border. */
const F = { width: 1000, height: 1000 }

t.test('temporal window: a face missed between hits is still covered, across a cut too', async (t) => {
  const a: Box = [10, 10, 50, 50]
  const b: Box = [100, 10, 140, 50]
  // Context: one frame before the segment, five own frames, one after.
  const frames: Box[][] = [[b], [a], [a], [], [a], [], []]
  const carried = carryBoxes(frames, 1, 5, 1, F)
  t.equal(carried.length, 5, 'one list per own frame')
  t.same(carried[0], [b, a], 'the first own frame also gets the box of the frame before the cut')
  t.same(carried[2], [a], 'the frame with no detection between two hits keeps the face')
  t.same(carried[4], [a], 'and the box carries one frame past the last hit')
  t.same(carryBoxes(frames, 1, 5, 0, F)[2], [], 'window 0: detections only')
  t.same(carryBoxes([[a], [a], [a]], 0, 3, 2, F)[1], [a], 'the same box from several frames is blurred once')
  t.same(countFaces([[a, b], [], [a]]), { frames_with_faces: 2, max_in_a_frame: 2 })
  t.same(mergeCounts({ frames_with_faces: 2, max_in_a_frame: 2 }, { frames_with_faces: 3, max_in_a_frame: 1 }), { frames_with_faces: 5, max_in_a_frame: 2 })
})

t.test('carried boxes follow the face: each its own region, moved, never a union', async (t) => {
  const moving: Box[][] = [[[10, 10, 50, 50]], [[24, 12, 64, 52]], [], [[52, 16, 92, 56]]]
  t.same(carryBoxes(moving, 0, 4, 2, F)[2], [[38, 14, 78, 54]], 'missed between hits: where it was half-way, not the union of both')
  const leaving: Box[][] = [[[10, 10, 50, 50]], [[30, 10, 70, 50]], []]
  t.same(carryBoxes(leaving, 0, 3, 2, F)[2], [[40, 10, 100, 50]], 'missed after its last hit: moved on by its own motion and grown by half the move')
  const entering: Box[][] = [[], [[30, 10, 70, 50]], [[50, 10, 90, 50]]]
  t.same(carryBoxes(entering, 0, 3, 2, F)[0], [[0, 10, 60, 50]], 'and back before its first hit')
  // A pan of 30 px a frame: two faces seen throughout tell the camera's motion; a third, seen
  // once at the edge, is carried with it into the next frame instead of staying put.
  const p = (x: number, y = 100): Box => [x, y, x + 40, y + 40]
  const pan: Box[][] = [[p(100), p(300)], [p(130), p(330), p(10, 10)], [p(160), p(360)]]
  const third = carryBoxes(pan, 0, 3, 1, F)[2]!.find((box) => box[1] < 100)
  t.same(third, [25, 10, 95, 50], 'a face seen once moves with the camera')
  const two: Box[][] = [[p(0), p(60)], [], [p(0), p(60)]]
  t.same(carryBoxes(two, 0, 3, 1, F)[1], [p(0), p(60)], 'two faces side by side stay two regions')
  const cut: Box[][] = [[[20, 100, 60, 140]], [], [[0, 100, 30, 140]]]
  t.same(carryBoxes(cut, 0, 3, 2, F)[1], [[0, 100, 45, 140]], 'a face leaving by the border: the carried box stays on the border (a clipped side does not move with the face)')
})
