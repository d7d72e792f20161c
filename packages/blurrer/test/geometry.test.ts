import t from 'tap'
import { cellSide, enlargeInto, faceArea, ovalIn, ovalSpan, overlaps, reducedSize, solidFill } from '../src/geometry.js'

t.test('padding grows the box on every side and is clipped to the image', async (t) => {
  t.same(faceArea([100, 100, 200, 300], 0.2, 1000, 1000)?.region, { left: 80, top: 60, width: 140, height: 280 })
  t.same(faceArea([100, 100, 200, 300], 0.2, 1000, 1000)?.oval, { cx: 150, cy: 200, rx: 70, ry: 140 }, 'inside the image: the ellipse inscribed in the region')
  t.same(faceArea([5, 5, 50, 50], 0.5, 60, 60)?.region, { left: 0, top: 0, width: 60, height: 60 })
  t.equal(faceArea([10, 10, 10, 20], 0, 100, 100), null, 'an empty box gives nothing to blur')
  t.equal(faceArea([-50, 10, -10, 20], 0, 100, 100), null, 'nor one wholly outside the image')
})

t.test('a face cut by the border is covered right up to it', async (t) => {
  // A face cut by the left edge: 40 px of it visible, padded by 0.2 → x from -8 to 48.
  const area = faceArea([0, 100, 40, 160], 0.2, 640, 360)!
  t.same(area.region, { left: 0, top: 88, width: 48, height: 84 })
  t.equal(area.side, 84, 'its strength follows its padded size, not the clipped part')
  const spans = Array.from({ length: area.region.height }, (_, y) => ovalSpan(area.region.top + y, area.oval, area.region))
  const atBorder = spans.filter(([from, to]) => from === 0 && to > 0).length
  t.ok(atBorder >= area.region.height * 0.9, `the ellipse meets the border on ${atBorder} of ${area.region.height} rows`)
  const inside = faceArea([100, 100, 140, 160], 0.2, 640, 360)!
  const inner = Array.from({ length: inside.region.height }, (_, y) => ovalSpan(inside.region.top + y, inside.oval, inside.region))
  t.ok(inner[0]![0] > 0, 'a face inside the image keeps its ellipse')
  for (const [box, what] of [[[600, 300, 640, 360], 'bottom-right corner'], [[300, 0, 340, 30], 'top edge']] as const) {
    const a = faceArea([...box], 0.2, 640, 360)!
    const corner = box[0] === 600 ? [a.region.width - 1, a.region.height - 1] : [Math.floor(a.region.width / 2), 0]
    const [from, to] = ovalSpan(a.region.top + corner[1]!, a.oval, a.region)
    t.ok(from <= corner[0]! && corner[0]! < to, `${what}: the pixel by the border is covered`)
  }
})

t.test('every face is reduced to a few cells, and small faces to fewer', async (t) => {
  t.same(reducedSize({ left: 0, top: 0, width: 4000, height: 2000 }, 500), { width: 8, height: 4 })
  t.same(reducedSize({ left: 0, top: 0, width: 20, height: 40 }, 5), { width: 4, height: 8 })
  t.same(reducedSize({ left: 0, top: 0, width: 3, height: 2 }, 0.5), { width: 3, height: 2 }, 'tiny regions are not enlarged')
  t.equal(cellSide(800, 'gaussian'), 200, 'a big face: four cells across')
  t.equal(cellSide(800, 'pixelate'), 80, 'or ten blocks')
  t.equal(cellSide(40, 'gaussian'), 20, 'a small one: cells no smaller than the floor')
  t.equal(cellSide(40, 'pixelate'), 16)
})

t.test('an ellipse writes anonymised pixels inside and leaves the corners original', async (t) => {
  const w = 10
  const h = 10
  const out = Buffer.alloc(w * h, 9)
  enlargeInto(out, w, 1, { left: 0, top: 0, width: w, height: h }, { data: Buffer.from([1]), width: 1, height: 1 }, 'nearest', ovalIn({ left: 0, top: 0, width: w, height: h }))
  t.equal(out[0], 9, 'top-left corner is original')
  t.equal(out[w * h - 1], 9, 'bottom-right corner is original')
  t.equal(out[5 * w + 5], 1, 'centre is anonymised')
  t.equal(out[5 * w], 1, 'the middle row reaches the left edge')
})

t.test("an ellipse's rows are symmetric both ways and span the region in the middle", async (t) => {
  for (const [w, h] of [[10, 10], [7, 13], [1, 1], [2, 50]] as const) {
    const region = { left: 3, top: 5, width: w, height: h }
    const spans = Array.from({ length: h }, (_, y) => ovalSpan(region.top + y, ovalIn(region), region))
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
  enlargeInto(image, 4, 2, { left: 1, top: 1, width: 2, height: 2 }, { data: Buffer.from([7, 8]), width: 1, height: 1 }, 'nearest', null)
  const at = (x: number, y: number): number => image[(y * 4 + x) * 2]!
  t.same([at(0, 0), at(1, 1), at(2, 2), at(3, 2), at(0, 1)], [0, 7, 7, 0, 0])
  t.equal(image[(1 * 4 + 1) * 2 + 1], 8, 'every channel, alpha included')
})

t.test('nearest keeps cells as blocks; linear runs smoothly between cell centres', async (t) => {
  const small = { data: Buffer.from([0, 200]), width: 2, height: 1 } // one channel, two cells
  const region = { left: 0, top: 0, width: 8, height: 1 }
  const nearest = Buffer.alloc(8)
  enlargeInto(nearest, 8, 1, region, small, 'nearest', null)
  t.same([...nearest], [0, 0, 0, 0, 200, 200, 200, 200])
  const linear = Buffer.alloc(8)
  enlargeInto(linear, 8, 1, region, small, 'linear', null)
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
