import t from 'tap'
import { toFullSize } from '../src/video-stage.js'

t.test('a box found on a scaled frame maps back to full size, never smaller, inside the frame', async (t) => {
  t.same(toFullSize([10, 20, 30, 40], 1, 1, 640, 360), [10, 20, 30, 40], 'unscaled: as it is')
  t.same(toFullSize([10, 20, 30, 40], 1 / 3, 1 / 3, 1920, 1080), [30, 60, 90, 120])
  t.same(toFullSize([1, 1, 639, 359], 640 / 1921, 360 / 1081, 1921, 1081), [3, 3, 1918, 1078], 'rounded outwards (1917.997 → 1918)')
  t.same(toFullSize([0, 0, 640, 360], 640 / 1920, 360 / 1080, 1920, 1080), [0, 0, 1920, 1080], 'clamped to the frame')
})
