import t from 'tap'
import { tileGrid, touchesInnerEdge } from '../src/tiles.js'

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
