import t from 'tap'
import { sniffImageFormat, sniffVideoContainer } from '../src/media.js'

const bytes = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))

t.test('video containers are judged from their first bytes', async (t) => {
  t.equal(sniffVideoContainer(bytes([0, 0, 0, 0x20], 'ftypisom', [0, 0, 2, 0], 'isomiso2avc1mp41')), 'mp4')
  t.equal(sniffVideoContainer(bytes([0, 0, 0, 0x14], 'ftypqt  ', [0, 0, 2, 0], 'qt  ')), 'mov')
  t.equal(sniffVideoContainer(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84], 'webm')), 'webm')
  t.equal(sniffVideoContainer(bytes([0x1a, 0x45, 0xdf, 0xa3, 0xa3, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x88], 'matroska')), 'mkv')
  t.equal(sniffVideoContainer(bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF')), undefined, 'a JPEG is no video, whatever its name')
  t.equal(sniffVideoContainer(bytes('ID3')), undefined, 'nor is an MP3')
  t.equal(sniffVideoContainer(Buffer.alloc(0)), undefined)
})

t.test('the format from the first bytes', async (t) => {
  const b = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))
  t.equal(sniffImageFormat(b([0xff, 0xd8, 0xff, 0xe0], 'rest')), 'jpeg')
  t.equal(sniffImageFormat(b([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13])), 'png')
  t.equal(sniffImageFormat(b('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')), 'webp')
  t.equal(sniffImageFormat(b('GIF89a', [1])), 'gif')
  t.equal(sniffImageFormat(b('GIF87a')), 'gif')
  t.equal(sniffImageFormat(b('II*\0', [8, 0])), 'tiff')
  t.equal(sniffImageFormat(b('MM\0*', [0, 8])), 'tiff')
  t.equal(sniffImageFormat(b([0, 0, 0, 0x1c], 'ftypavif', [0])), 'avif')
  t.equal(sniffImageFormat(b([0, 0, 0, 0x18], 'ftypheic', [0])), 'heif')
  t.equal(sniffImageFormat(b([0, 0, 0, 0x18], 'ftypmp42', [0])), undefined, 'an mp4 is not an image')
  t.equal(sniffImageFormat(b('hello world, not an image')), undefined)
  t.equal(sniffImageFormat(Buffer.alloc(0)), undefined)
  t.equal(sniffImageFormat(b([0xff, 0xd8])), undefined, 'too short')
})
