import t from 'tap'
import { letterbox } from '../src/letterbox.js'
import { decodeYolov8, dropContained, iou, nms, postprocess, toSourceBox, type Candidate } from '../src/postprocess.js'

/** Builds a [1, 5, anchors] output from anchors given as [cx, cy, w, h, score]. */
function output (anchors: Array<[number, number, number, number, number]>): Float32Array {
  const n = anchors.length
  const out = new Float32Array(5 * n)
  anchors.forEach((a, i) => { for (let c = 0; c < 5; c++) out[c * n + i] = a[c]! })
  return out
}

t.test('decodes channel-major anchors and drops low scores', async (t) => {
  const out = output([[100, 100, 40, 60, 0.9], [300, 300, 20, 20, 0.1]])
  const got = decodeYolov8(out, 5, 2, 0.25)
  t.equal(got.length, 1)
  t.match(got[0], { x1: 80, y1: 70, x2: 120, y2: 130 })
  t.ok(Math.abs(got[0]!.score - 0.9) < 1e-6)
})

t.test('refuses a layout without a score channel', async (t) => {
  t.throws(() => decodeYolov8(new Float32Array(8), 4, 2, 0.25), /at least 5/)
})

t.test('NMS keeps the best of overlapping boxes and every separate one', async (t) => {
  const c = (x1: number, score: number): Candidate => ({ x1, y1: 0, x2: x1 + 100, y2: 100, score })
  const kept = nms([c(0, 0.8), c(10, 0.9), c(500, 0.3)], 0.45)
  t.same(kept.map((k) => k.score), [0.9, 0.3])
  t.equal(iou(c(0, 1), c(0, 1)), 1)
  t.equal(iou(c(0, 1), c(500, 1)), 0)
})

t.test('boxes map back through the letterbox to clipped integer source pixels', async (t) => {
  const lb = letterbox(1634, 1000, 640) // scale 640/1634, padY 124
  const box = toSourceBox({ x1: 100, y1: 124 + 50, x2: 200, y2: 124 + 150, score: 1 }, lb)
  t.same(box, [255, 128, 511, 383])
  t.same(toSourceBox({ x1: -20, y1: 0, x2: 700, y2: 700, score: 1 }, lb), [0, 0, 1634, 1000], 'clipped to the image')
})

t.test('postprocess: no anchors above threshold gives no faces', async (t) => {
  t.same(postprocess(output([[320, 320, 50, 50, 0.01]]), [1, 5, 1], letterbox(640, 640, 640), { confidence: 0.25, iou: 0.45 }), [])
})

t.test('postprocess: faces come out left to right with rounded scores', async (t) => {
  const faces = postprocess(output([[500, 320, 50, 50, 0.81234], [100, 320, 50, 50, 0.7]]), [1, 5, 2], letterbox(640, 640, 640), { confidence: 0.25, iou: 0.45 })
  t.same(faces, [{ box: [75, 295, 125, 345], score: 0.7 }, { box: [475, 295, 525, 345], score: 0.8123 }])
})

t.test('a piece of a face inside a larger face is dropped; faces side by side and overlapping stay', async (t) => {
  const c = (x1: number, y1: number, x2: number, y2: number, score = 0.9): Candidate => ({ x1, y1, x2, y2, score })
  const face = c(100, 100, 300, 360)
  const lowerHalf = c(105, 240, 300, 360, 0.95)
  t.same(dropContained([face, lowerHalf]), [face], 'the lower half a tile saw alone goes, whatever its score')
  const neighbour = c(250, 100, 450, 360)
  t.same(dropContained([face, neighbour]), [face, neighbour], 'two faces that overlap a little stay')
  t.same(dropContained([face, c(150, 150, 350, 330)]), [face, c(150, 150, 350, 330)], 'one three quarters inside stays')
})
