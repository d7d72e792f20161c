// Pixel-level checks of the blur on a real photograph, one per mode and shape.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import type { Box, ImageFormat } from '@faceblur/contracts'
import { BLUR_MODES, BLUR_SHAPES } from '@faceblur/contracts'
import { blurFaces } from '../src/blur.js'

/** The image's format, as the gateway records it with the task (blurFaces does not probe it). */
const formatOf = async (image: Buffer): Promise<ImageFormat> => (await sharp(image).metadata()).format as ImageFormat

const seed = readFileSync(join(import.meta.dirname, '../../../../shared/fixtures/seed_test.jpg'))
// Boxes the detector gives for the seed image.
const FACES: Box[] = [[232, 170, 622, 697], [1045, 241, 1466, 801]]
const MAX_PIXELS = 64_000_000

async function grey (encoded: Buffer): Promise<{ data: Buffer, width: number }> {
  const { data, info } = await sharp(encoded).greyscale().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width }
}

function stats (img: { data: Buffer, width: number }, other: { data: Buffer, width: number }, [x1, y1, x2, y2]: Box): { diff: number, detail: number } {
  let diff = 0
  let detail = 0
  let n = 0
  for (let y = y1; y < y2 - 1; y++) {
    for (let x = x1; x < x2 - 1; x++) {
      const i = y * img.width + x
      diff += Math.abs(img.data[i]! - other.data[i]!)
      detail += (img.data[i + 1]! - img.data[i]!) ** 2 + (img.data[i + img.width]! - img.data[i]!) ** 2
      n++
    }
  }
  return { diff: diff / n, detail: detail / n }
}

/** The central half of a box: inside the face whatever the shape. */
const core = ([x1, y1, x2, y2]: Box): Box => {
  const w = (x2 - x1) / 4
  const h = (y2 - y1) / 4
  return [Math.round(x1 + w), Math.round(y1 + h), Math.round(x2 - w), Math.round(y2 - h)]
}

const original = await grey(seed)

for (const mode of BLUR_MODES) {
  for (const shape of BLUR_SHAPES) {
    t.test(`${mode} ${shape}: faces lose their detail, the background stays`, async (t) => {
      const out = await blurFaces(seed, await formatOf(seed), FACES, { mode, shape, padding: 0.2 }, MAX_PIXELS)
      t.equal(out.contentType, 'image/jpeg')
      t.same([out.width, out.height], [1634, 1000])
      const blurred = await grey(out.data)
      for (const face of FACES) {
        const before = stats(original, blurred, core(face))
        const after = stats(blurred, original, core(face))
        t.ok(before.diff > 8, `face changed strongly (mean |Δ| ${before.diff.toFixed(1)})`)
        t.ok(after.detail * 10 < before.detail, `high-frequency energy ${before.detail.toFixed(0)} → ${after.detail.toFixed(1)} (an order of magnitude down)`)
      }
      const background = stats(original, blurred, [0, 0, 150, 120])
      t.ok(background.diff < 3, `background nearly unchanged (mean |Δ| ${background.diff.toFixed(2)})`)
    })
  }
}

t.test('no faces: re-encoded without metadata, otherwise the same picture', async (t) => {
  const out = await blurFaces(seed, await formatOf(seed), [], { mode: 'gaussian', shape: 'ellipse', padding: 0.2 }, MAX_PIXELS)
  const diff = stats(original, await grey(out.data), [0, 0, 1634, 1000]).diff
  t.ok(diff < 2, `mean |Δ| ${diff.toFixed(2)}`)
})

t.test('PNG keeps its format and its alpha channel', async (t) => {
  const withAlpha = await sharp(seed).ensureAlpha(0.5).png().toBuffer()
  const out = await blurFaces(withAlpha, await formatOf(withAlpha), FACES, { mode: 'gaussian', shape: 'ellipse', padding: 0.2 }, MAX_PIXELS)
  t.equal(out.contentType, 'image/png')
  const meta = await sharp(out.data).metadata()
  t.equal(meta.hasAlpha, true)
  const alpha = await sharp(out.data).extractChannel(3).raw().toBuffer()
  // Outside the faces alpha is exact; inside it is blurred along with the colour (a sharp alpha
  // edge could outline a face), so a premultiplication rounding of ±2 is allowed there.
  const input = (await sharp(withAlpha).extractChannel(3).raw().toBuffer())[0]!
  const outside = [0, 1633, 1634 * 999]
  t.ok(outside.every((i) => alpha[i] === input), `alpha exact outside the faces (${input})`)
  t.ok(alpha.every((a) => Math.abs(a - input) <= 2), 'alpha kept inside the faces too')
})

t.test('EXIF with GPS and orientation: the output is upright and carries no metadata', async (t) => {
  // Stored rotated, with orientation 8 and GPS tags: the blur must work on the upright image.
  const tagged = await sharp(seed).rotate(90).withExif({
    IFD0: { Make: 'Camera', Model: 'Serial 12345' },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' }
  }).withMetadata({ orientation: 8 }).jpeg().toBuffer()
  const inMeta = await sharp(tagged).metadata()
  t.ok(inMeta.exif !== undefined && inMeta.orientation === 8, 'the fixture really carries EXIF and orientation')
  t.ok(inMeta.exif?.includes('GPS') === true || inMeta.exif?.includes('Serial 12345') === true, 'and camera tags')

  const out = await blurFaces(tagged, await formatOf(tagged), FACES, { mode: 'gaussian', shape: 'rectangle', padding: 0.2 }, MAX_PIXELS)
  const meta = await sharp(out.data).metadata()
  t.same([meta.width, meta.height], [1634, 1000], 'upright')
  t.equal(meta.exif, undefined, 'no EXIF')
  t.equal(meta.orientation, undefined, 'no orientation tag')
  t.equal(meta.xmp, undefined, 'no XMP')
  t.equal(meta.iptc, undefined, 'no IPTC')
  t.notOk(out.data.includes('Serial 12345'), 'no camera serial anywhere in the bytes')
  const face = stats(original, await grey(out.data), core(FACES[0]!))
  t.ok(face.diff > 8, 'the face at its upright position is the one blurred')
})

t.test('a broken image is a coded, non-retriable error', async (t) => {
  await t.rejects(blurFaces(seed.subarray(0, 4000), 'jpeg', FACES, { mode: 'gaussian', shape: 'ellipse', padding: 0.2 }, MAX_PIXELS),
    { code: 'FB_ERR_IMAGE_UNDECODABLE', retriable: false })
})

t.test('overlapping faces are all blurred (the later ellipse does not restore the earlier blur)', async (t) => {
  const overlapping: Box[] = [[232, 170, 622, 697], [400, 300, 800, 800]]
  const out = await blurFaces(seed, await formatOf(seed), overlapping, { mode: 'gaussian', shape: 'ellipse', padding: 0.2 }, MAX_PIXELS)
  const blurred = await grey(out.data)
  for (const face of overlapping) {
    const before = stats(original, blurred, core(face))
    const after = stats(blurred, original, core(face))
    t.ok(after.detail * 10 < before.detail, `detail ${before.detail.toFixed(0)} → ${after.detail.toFixed(1)}`)
  }
})

t.test("encode effort changes only the bytes, never the pixels (JPEG's Huffman pass and PNG's zlib level are lossless)", async (t) => {
  const png = await sharp(seed).resize(600).png().toBuffer()
  const policy = { mode: 'gaussian', shape: 'ellipse', padding: 0.2 } as const
  const scaled = FACES.map((b) => b.map((v) => Math.round(v * 600 / 1634)) as Box)
  for (const [name, input, boxes] of [['jpeg', seed, FACES], ['png', png, scaled]] as const) {
    const fast = await blurFaces(input, await formatOf(input), boxes, policy, MAX_PIXELS, 'fast')
    const small = await blurFaces(input, await formatOf(input), boxes, policy, MAX_PIXELS, 'small')
    t.equal(fast.format, name)
    t.equal(small.format, name)
    const [a, b] = await Promise.all([fast, small].map(async (o) => await sharp(o.data).raw().toBuffer()))
    t.ok(a!.equals(b!), `${name}: the same pixels`)
    t.ok(small.data.length <= fast.data.length, `${name}: small ${small.data.length} ≤ fast ${fast.data.length} bytes`)
  }
})

t.test('faces cut by all four edges of a photo are blurred up to the edges', async (t) => {
  // A 2×2 mosaic of the seed photo, cropped so that faces are cut by each edge; their boxes are
  // the seed's, moved and clipped to the crop as a detector reports them.
  const crop = { left: 400, top: 450, width: 2500, height: 1050 }
  const tile = await sharp(seed).raw().toBuffer()
  const mosaic = await sharp({ create: { width: 3268, height: 2000, channels: 3, background: '#000' } })
    .composite([[0, 0], [1634, 0], [0, 1000], [1634, 1000]].map(([left, top]) => ({ input: tile, raw: { width: 1634, height: 1000, channels: 3 as const }, left: left!, top: top! })))
    .removeAlpha().extract(crop).png().toBuffer()
  const boxes = [[0, 0], [1634, 0], [0, 1000], [1634, 1000]].flatMap(([dx, dy]) => FACES.map(([x1, y1, x2, y2]): Box => [
    Math.max(0, x1 + dx! - crop.left), Math.max(0, y1 + dy! - crop.top), Math.min(crop.width, x2 + dx! - crop.left), Math.min(crop.height, y2 + dy! - crop.top)
  ])).filter(([x1, y1, x2, y2]) => x2 > x1 && y2 > y1)
  const cut = { left: boxes.filter((b) => b[0] === 0).length, top: boxes.filter((b) => b[1] === 0).length, right: boxes.filter((b) => b[2] === crop.width).length, bottom: boxes.filter((b) => b[3] === crop.height).length }
  t.ok(Object.values(cut).every((n) => n > 0), `faces cut by every edge: ${JSON.stringify(cut)}`)
  const out = await blurFaces(mosaic, await formatOf(mosaic), boxes, { mode: 'gaussian', shape: 'ellipse', padding: 0.2 }, MAX_PIXELS)
  const [before, after] = await Promise.all([grey(mosaic), grey(out.data)])
  // Mean |horizontal gradient| in the middle half of the box, as the video checks measure it.
  const detail = (img: { data: Buffer, width: number }, [x1, y1, x2, y2]: Box): number => {
    let sum = 0
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2 - 1; x++) sum += Math.abs(img.data[y * img.width + x + 1]! - img.data[y * img.width + x]!)
    return sum / ((y2 - y1) * (x2 - x1 - 1))
  }
  for (const box of boxes) {
    const kept = detail(after, core(box)) / detail(before, core(box))
    t.ok(kept < 0.3, `the face ${JSON.stringify(box)} keeps ${(kept * 100).toFixed(0)} % of its central detail`)
    // And the quarter of the box along each edge that cuts it, corners included.
    const [x1, y1, x2, y2] = box
    const [w, h] = [Math.round((x2 - x1) / 4), Math.round((y2 - y1) / 4)]
    const bands: Array<[string, Box]> = [
      ['left', [0, y1, w, y2]], ['top', [x1, 0, x2, h]], ['right', [x2 - w, y1, x2, y2]], ['bottom', [x1, y2 - h, x2, y2]]
    ]
    for (const [edge, band] of bands.filter(([edge]) => ({ left: x1 === 0, top: y1 === 0, right: x2 === crop.width, bottom: y2 === crop.height })[edge as 'left'])) {
      const left = detail(after, band) / detail(before, band)
      t.ok(left < 0.3, `its band along the ${edge} edge keeps ${(left * 100).toFixed(0)} %`)
    }
  }
})
