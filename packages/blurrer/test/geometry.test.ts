import t from 'tap'
import { ellipseSpan, enlargeInto, overlaps, paddedRegion, reducedSize, solidFill } from '../src/geometry.js'

t.test('padding grows the box on every side and is clipped to the image', async (t) => {
  t.same(paddedRegion([100, 100, 200, 300], 0.2, 1000, 1000), { left: 80, top: 60, width: 140, height: 280 })
  t.same(paddedRegion([0, 0, 50, 50], 0.5, 60, 60), { left: 0, top: 0, width: 60, height: 60 })
  t.equal(paddedRegion([10, 10, 10, 20], 0, 100, 100), null, 'an empty box gives nothing to blur')
})

t.test('every region is reduced to a few cells, whatever its size', async (t) => {
  t.same(reducedSize({ left: 0, top: 0, width: 4000, height: 2000 }, 8), { width: 8, height: 4 })
  t.same(reducedSize({ left: 0, top: 0, width: 20, height: 40 }, 8), { width: 4, height: 8 })
  t.same(reducedSize({ left: 0, top: 0, width: 3, height: 2 }, 8), { width: 3, height: 2 }, 'tiny regions are not enlarged')
})

t.test('an ellipse writes anonymised pixels inside and leaves the corners original', async (t) => {
  const w = 10
  const h = 10
  const out = Buffer.alloc(w * h, 9)
  enlargeInto(out, w, 1, { left: 0, top: 0, width: w, height: h }, { data: Buffer.from([1]), width: 1, height: 1 }, 'nearest', 'ellipse')
  t.equal(out[0], 9, 'top-left corner is original')
  t.equal(out[w * h - 1], 9, 'bottom-right corner is original')
  t.equal(out[5 * w + 5], 1, 'centre is anonymised')
  t.equal(out[5 * w], 1, 'the middle row reaches the left edge')
})

t.test("an ellipse's rows are symmetric both ways and span the region in the middle", async (t) => {
  for (const [w, h] of [[10, 10], [7, 13], [1, 1], [2, 50]] as const) {
    const spans = Array.from({ length: h }, (_, y) => ellipseSpan(y, w, h))
    for (const [y, [from, to]] of spans.entries()) {
      const [mirrorFrom, mirrorTo] = spans[h - 1 - y]!
      if (from !== mirrorFrom || to !== mirrorTo || (to > from && from !== w - to)) return t.fail(`${w}×${h} row ${y}: [${from}, ${to})`)
    }
    t.same(spans[Math.floor(h / 2)], [0, w], `${w}×${h}: the middle row spans the region`)
    if (w > 2) t.ok(spans[0]![1] - spans[0]![0] < w, `${w}×${h}: the top row leaves the corners`)
  }
})

t.test('enlarging writes the region into the image and nothing else', async (t) => {
  const image = Buffer.alloc(4 * 3 * 2, 0) // 4×3, 2 channels
  enlargeInto(image, 4, 2, { left: 1, top: 1, width: 2, height: 2 }, { data: Buffer.from([7, 8]), width: 1, height: 1 }, 'nearest', 'rectangle')
  const at = (x: number, y: number): number => image[(y * 4 + x) * 2]!
  t.same([at(0, 0), at(1, 1), at(2, 2), at(3, 2), at(0, 1)], [0, 7, 7, 0, 0])
  t.equal(image[(1 * 4 + 1) * 2 + 1], 8, 'every channel, alpha included')
})

t.test('nearest keeps cells as blocks; linear runs smoothly between cell centres', async (t) => {
  const small = { data: Buffer.from([0, 200]), width: 2, height: 1 } // one channel, two cells
  const region = { left: 0, top: 0, width: 8, height: 1 }
  const nearest = Buffer.alloc(8)
  enlargeInto(nearest, 8, 1, region, small, 'nearest', 'rectangle')
  t.same([...nearest], [0, 0, 0, 0, 200, 200, 200, 200])
  const linear = Buffer.alloc(8)
  enlargeInto(linear, 8, 1, region, small, 'linear', 'rectangle')
  t.same([...linear], [0, 0, 25, 75, 125, 175, 200, 200], 'flat beyond the outer centres, linear between')
})

t.test('solid fill is opaque black', async (t) => {
  t.same([...solidFill(2, 1, 4)], [0, 0, 0, 255, 0, 0, 0, 255])
  t.same([...solidFill(2, 1, 3)], [0, 0, 0, 0, 0, 0])
})

t.test('overlap of regions', async (t) => {
  const a = { left: 0, top: 0, width: 10, height: 10 }
  t.ok(overlaps(a, { left: 9, top: 9, width: 5, height: 5 }))
  t.notOk(overlaps(a, { left: 10, top: 0, width: 5, height: 5 }), 'touching edges do not overlap')
})
