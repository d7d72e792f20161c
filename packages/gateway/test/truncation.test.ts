import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import { isTruncated } from '../src/truncation.js'

const seed = readFileSync(join(import.meta.dirname, '../../../../shared/fixtures/seed_test.jpg'))

t.test('whole files are whole', async (t) => {
  t.notOk(isTruncated(seed, 'jpeg'))
  t.notOk(isTruncated(await sharp(seed).jpeg({ progressive: true }).toBuffer(), 'jpeg'), 'progressive JPEG')
  t.notOk(isTruncated(Buffer.concat([seed, Buffer.from('trailing camera data')]), 'jpeg'), 'data after EOI')
  t.notOk(isTruncated(await sharp(seed).png().toBuffer(), 'png'))
  t.notOk(isTruncated(await sharp(seed).webp().toBuffer(), 'webp'))
  t.notOk(isTruncated(await sharp(seed).resize(64).gif().toBuffer(), 'gif'))
})

t.test('cut files are recognised', async (t) => {
  t.ok(isTruncated(seed.subarray(0, seed.length - 100), 'jpeg'))
  t.ok(isTruncated(seed.subarray(0, 2000), 'jpeg'), 'cut before the scan')
  const withThumbnail = await sharp(seed).withMetadata().jpeg().toBuffer()
  t.ok(isTruncated(withThumbnail.subarray(0, withThumbnail.length / 2), 'jpeg'))
  const png = await sharp(seed).png().toBuffer()
  t.ok(isTruncated(png.subarray(0, png.length - 20), 'png'))
  const webp = await sharp(seed).webp().toBuffer()
  t.ok(isTruncated(webp.subarray(0, webp.length - 1), 'webp'))
  const gif = await sharp(seed).resize(64).gif().toBuffer()
  t.ok(isTruncated(gif.subarray(0, gif.length - 10), 'gif'))
})

t.test('formats without a cheap check are left to the detector', async (t) => {
  t.notOk(isTruncated(Buffer.from('anything'), 'tiff'))
})

t.test('the contracts\' signatures know what real encoders write', async (t) => {
  const { sniffImageFormat: sniffFormat } = await import('@faceblur/contracts')
  t.equal(sniffFormat(seed), 'jpeg')
  t.equal(sniffFormat(await sharp(seed).png().toBuffer()), 'png')
  t.equal(sniffFormat(await sharp(seed).webp().toBuffer()), 'webp')
  t.equal(sniffFormat(await sharp(seed).resize(32).gif().toBuffer()), 'gif')
  t.equal(sniffFormat(await sharp(seed).resize(32).tiff().toBuffer()), 'tiff')
  t.equal(sniffFormat(Buffer.from('%PDF-1.4')), undefined)
})
