import t from 'tap'
import { letterbox, toChwFloat } from '../src/letterbox.js'

t.test('a wide image is scaled to the input width and padded top and bottom', async (t) => {
  const lb = letterbox(1634, 1000, 640)
  t.equal(lb.resizedWidth, 640)
  t.equal(lb.resizedHeight, 392)
  t.equal(lb.padX, 0)
  t.equal(lb.padY, 124)
  t.same([lb.inputWidth, lb.inputHeight], [640, 640], 'square by default')
  t.ok(Math.abs(lb.scale - 640 / 1634) < 1e-9)
})

t.test('a tall image is padded left and right; a square one not at all', async (t) => {
  const tall = letterbox(500, 1000, 640)
  t.same([tall.resizedWidth, tall.resizedHeight, tall.padX, tall.padY], [320, 640, 160, 0])
  const square = letterbox(512, 512, 640)
  t.same([square.resizedWidth, square.resizedHeight, square.padX, square.padY], [640, 640, 0, 0])
})

t.test('a sliver never collapses to zero pixels', async (t) => {
  const lb = letterbox(10_000, 1, 640)
  t.equal(lb.resizedHeight, 1)
})

t.test('HWC bytes become CHW floats in 0..1', async (t) => {
  // 2×1 image: red pixel then white pixel.
  const out = toChwFloat(Uint8Array.from([255, 0, 0, 255, 255, 255]), 2, 1)
  t.same([...out], [1, 1, 0, 1, 0, 1])
})

t.test('every byte maps to exactly byte / 255 in float32', async (t) => {
  const bytes = Uint8Array.from({ length: 255 * 3 + 3 }, (_, i) => Math.floor(i / 3))
  const out = toChwFloat(bytes, 256, 1)
  for (let v = 0; v < 256; v++) {
    if (out[v] !== Math.fround(v / 255)) return t.fail(`byte ${v}: ${out[v]}`)
  }
  t.pass('all 256 values exact')
})

t.test('an input of the image\'s own aspect (YuNet) needs no padding beyond rounding to 32', async (t) => {
  const lb = letterbox(1634, 1000, 640, 416)
  t.same([lb.resizedWidth, lb.resizedHeight, lb.padX, lb.padY], [640, 392, 0, 12])
})
