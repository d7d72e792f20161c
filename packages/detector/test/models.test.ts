// Each model module on its own: the layouts it accepts and refuses, its input and its decode.
import t from 'tap'
import { MODELS, yolov8Face, yunet } from '../src/models/index.js'
import { decodeStride, toBgrPlanes } from '../src/models/yunet.js'

const tensor = (name: string, shape: Array<number | string>) => ({ name, isTensor: true as const, type: 'float32' as const, shape })
const session = (inputs: ReturnType<typeof tensor>[], outputs: ReturnType<typeof tensor>[]) =>
  ({ inputNames: inputs.map((i) => i.name), outputNames: outputs.map((o) => o.name), inputMetadata: inputs, outputMetadata: outputs }) as never

t.test('YOLOv8: the usual export is accepted, with or without landmark channels', async (t) => {
  t.same(yolov8Face.layout(session([tensor('images', [1, 3, 640, 640])], [tensor('output0', [1, 5, 8400])])), { input: 'images', outputs: ['output0'], size: 640 })
  t.match(yolov8Face.layout(session([tensor('images', [1, 3, 640, 640])], [tensor('output0', [1, 20, 8400])])), { size: 640 }, '4 + 1 + 15 landmarks')
})

t.test('YOLOv8: other layouts are refused at start-up with a message that says what the model has', async (t) => {
  const threeHeads = session([tensor('images', [1, 3, 640, 640])], [tensor('a', [1, 80, 80, 80]), tensor('b', [1, 80, 40, 40]), tensor('c', [1, 80, 20, 20])])
  t.throws(() => yolov8Face.layout(threeHeads), /unsupported model layout.*expected one input \[1,3,S,S\]/)
  t.throws(() => yolov8Face.layout(session([tensor('images', [1, 3, 640, 480])], [tensor('output0', [1, 5, 6300])])), /unsupported model layout/, 'non-square input')
  t.throws(() => yolov8Face.layout(session([tensor('images', [1, 3, 640, 640])], [tensor('output0', [1, 4, 8400])])), /unsupported model layout/, 'no score channel')
})

t.test('YOLOv8: the decode reads the anchors of the input size', async (t) => {
  const anchors = 8400
  const out = new Float32Array(5 * anchors)
  for (const [c, v] of [320, 200, 40, 60, 0.9].entries()) out[c * anchors + 7] = v
  t.same(yolov8Face.decode([out], 640, 640, 0.25).map((c) => [c.x1, c.y1, c.x2, c.y2]), [[300, 170, 340, 230]])
})

t.test('YuNet: a dynamic export is accepted, any other refused', async (t) => {
  const heads = [8, 16, 32].flatMap((s) => ['cls', 'obj', 'bbox', 'kps'].map((h) => tensor(`${h}_${s}`, [1, 'N', h === 'bbox' ? 4 : h === 'kps' ? 10 : 1])))
  t.same(yunet.layout(session([tensor('input', ['batch', 3, 'H', 'W'])], heads)).outputs, ['cls_8', 'obj_8', 'bbox_8', 'cls_16', 'obj_16', 'bbox_16', 'cls_32', 'obj_32', 'bbox_32'])
  t.equal(yunet.layout(session([tensor('input', ['batch', 3, 'H', 'W'])], heads)).size, 640, 'a dynamic input takes the default pass size')
  t.throws(() => yunet.layout(session([tensor('images', [1, 3, 640, 640])], [tensor('output0', [1, 5, 8400])])), /unsupported model layout.*YuNet/)
})

t.test('YuNet: BGR planes in 0..255, and the decode of one stride', async (t) => {
  t.same([...toBgrPlanes(Uint8Array.from([10, 20, 30, 40, 50, 60]), 2, 1)], [30, 60, 20, 50, 10, 40])
  // A 2×2 grid at stride 8; cell 3 (row 1, col 1) holds a face: offsets 0.5, size e^1·8.
  const cls = Float32Array.from([0, 0, 0, 0.81])
  const obj = Float32Array.from([1, 1, 1, 1])
  const bbox = new Float32Array(16)
  bbox.set([0.5, 0.5, 1, 1], 12)
  const [face, ...rest] = decodeStride(cls, obj, bbox, 8, 2, 0.5)
  t.same(rest, [])
  t.ok(Math.abs(face!.score - 0.9) < 1e-6, 'score √(cls·obj)')
  const side = Math.exp(1) * 8
  t.same([face!.x1, face!.y1, face!.x2, face!.y2], [12 - side / 2, 12 - side / 2, 12 + side / 2, 12 + side / 2])
  t.throws(() => yunet.decode([], 100, 64, 0.5), /multiples of 32/)
})

t.test('every model FACEBLUR_MODEL can name has a licence', async (t) => {
  for (const [name, family] of Object.entries(MODELS)) t.ok(family.licence.length > 0, `${name}: ${family.licence}`)
})

t.test('input shapes: YOLO square, YuNet the image\'s own aspect rounded up to 32', async (t) => {
  t.same(yolov8Face.inputShape(1634, 1000, 640), { width: 640, height: 640 })
  t.same(yunet.inputShape(1634, 1000, 640), { width: 640, height: 416 }, 'the seed photo: 640×392 → 640×416')
  t.same(yunet.inputShape(1000, 1634, 640), { width: 416, height: 640 })
  t.same(yunet.inputShape(640, 360, 640), { width: 640, height: 384 }, 'a 360p frame')
  t.same(yunet.inputShape(10_000, 1, 640), { width: 640, height: 32 }, 'a sliver keeps one row of cells')
})
