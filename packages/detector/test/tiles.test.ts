import t from 'tap'
import { keepUncoveredCuts, type Candidate, type CutCandidate } from '../src/postprocess.js'
import { tileGrid, tilePyramid, touchesInnerEdge } from '../src/tiles.js'

const options = { size: 960, overlap: 0.25, above: 1600 }

t.test('small images are not tiled', async (t) => {
  t.same(tileGrid(1634, 1000, { ...options, above: 1700 }), [])
  t.same(tileGrid(1600, 1600, options), [])
})

t.test('tiles cover the whole image with at least the asked overlap', async (t) => {
  const tiles = tileGrid(4000, 2600, options)
  t.ok(tiles.length > 1)
  for (const tile of tiles) {
    t.ok(tile.left >= 0 && tile.top >= 0 && tile.left + tile.width <= 4000 && tile.top + tile.height <= 2600, 'inside the image')
  }
  // Every pixel column and row is covered, and neighbours share ≥ 240 px.
  const lefts = [...new Set(tiles.map((x) => x.left))].sort((a, b) => a - b)
  t.equal(lefts[0], 0)
  t.equal(lefts.at(-1)! + 960, 4000, 'the last column ends at the edge')
  for (let i = 1; i < lefts.length; i++) t.ok(lefts[i - 1]! + 960 - lefts[i]! >= 240, `overlap between columns ${i - 1} and ${i}`)
})

t.test('a tall narrow image is tiled along its length only', async (t) => {
  const tiles = tileGrid(800, 5000, options)
  t.ok(tiles.every((x) => x.left === 0 && x.width === 800))
  t.ok(tiles.length >= 6)
})

t.test('boxes cut by an inner tile edge are recognised; image edges do not count', async (t) => {
  const tile = { left: 720, top: 0, width: 960, height: 960 }
  t.ok(touchesInnerEdge([721, 100, 760, 150], tile, 4000, 2600), 'left inner edge')
  t.ok(touchesInnerEdge([1600, 100, 1680, 150], tile, 4000, 2600), 'right inner edge')
  t.ok(touchesInnerEdge([800, 900, 850, 960], tile, 4000, 2600), 'bottom inner edge')
  t.notOk(touchesInnerEdge([800, 0, 850, 40], tile, 4000, 2600), 'the top is the image edge')
  t.notOk(touchesInnerEdge([800, 100, 850, 150], tile, 4000, 2600), 'well inside')
})

t.test('the pyramid: levels of doubling tiles below the image size, each with the overlap', async (t) => {
  const defaults = { size: 960, overlap: 0.25, above: 1920 }
  t.same(tilePyramid(1634, 1000, defaults), [], 'Full HD and below: the full-image pass only')
  const tiles = tilePyramid(9804, 6000, defaults)
  const sizes = [...new Set(tiles.map((x) => Math.max(x.width, x.height)))].sort((a, b) => a - b)
  t.same(sizes, [960, 1920, 3840, 7680], 'levels up to the last tile smaller than the image')
  t.ok(tiles.length <= 160, `bounded cost at 59 MP: ${tiles.length} tiles`)
  // A 530 px face anywhere is whole in some tile of the 3840 level (overlap 960).
  const level = tiles.filter((x) => x.width === 3840)
  for (const [x, y] of [[3000, 2000], [5300, 2700], [9000, 5400]] as const) {
    t.ok(level.some((r) => x >= r.left && x + 530 <= r.left + r.width && y >= r.top && y + 530 <= r.top + r.height), `face at ${x},${y} whole at 3840`)
  }
})

t.test('cut candidates: dropped when a whole view explains them, else kept and joined', async (t) => {
  const c = (x1: number, y1: number, x2: number, y2: number, score = 0.5): Candidate => ({ x1, y1, x2, y2, score })
  const whole = [c(100, 100, 300, 300, 0.9)]
  const at = (candidate: Candidate, axis: 'x' | 'y', edge: number): CutCandidate => ({ candidate, edges: [{ axis, at: edge }] })
  t.same(keepUncoveredCuts([at(c(100, 100, 200, 300), 'x', 200)], whole), [], 'half of a face seen whole elsewhere')
  t.same(keepUncoveredCuts([at(c(80, 290, 290, 400), 'y', 290)], whole), [], 'a chin-and-neck "face" below an edge the whole face crosses')
  const kept = keepUncoveredCuts([at(c(1000, 100, 1100, 300, 0.6), 'x', 1100), at(c(1080, 100, 1200, 300, 0.4), 'x', 1080)], whole)
  t.equal(kept.length, 1, 'two pieces of one face no view holds whole: one box')
  t.match(kept[0], { x1: 1000, x2: 1200, score: 0.6 })
  t.equal(keepUncoveredCuts([at(c(1000, 100, 1100, 300), 'x', 1100), at(c(2000, 100, 2100, 300), 'x', 2000)], whole).length, 2, 'pieces of different faces stay apart')
})
