import t from 'tap'
import { contentTypeFromExtension, isImagePath, outputRelativePath, sniffContentType, toPortable } from '../src/paths.js'

t.test('image extensions, in any case; everything else is not an image', async (t) => {
  for (const name of ['a.jpg', 'b.JPEG', 'c.png', 'd/e.webp', 'f.gif', 'g.tif', 'h.TIFF', 'i.avif', 'j.heic', 'k.heif', 'l.jfif']) t.ok(isImagePath(name), name)
  for (const name of ['notes.txt', 'README', '.faceblur-state.jsonl', 'a.jpg.json', 'photo.bmp', 'x.svg', '.jpg.bak', 'video.mp4']) t.notOk(isImagePath(name), name)
  t.equal(contentTypeFromExtension('x.JPG'), 'image/jpeg')
  t.equal(contentTypeFromExtension('x.txt'), undefined)
})

t.test('content type from the first bytes', async (t) => {
  const b = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))
  t.equal(sniffContentType(b([0xff, 0xd8, 0xff, 0xe0], 'rest')), 'image/jpeg')
  t.equal(sniffContentType(b([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13])), 'image/png')
  t.equal(sniffContentType(b('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')), 'image/webp')
  t.equal(sniffContentType(b('GIF89a', [1])), 'image/gif')
  t.equal(sniffContentType(b('GIF87a')), 'image/gif')
  t.equal(sniffContentType(b('II*\0', [8, 0])), 'image/tiff')
  t.equal(sniffContentType(b('MM\0*', [0, 8])), 'image/tiff')
  t.equal(sniffContentType(b([0, 0, 0, 0x1c], 'ftypavif', [0])), 'image/avif')
  t.equal(sniffContentType(b([0, 0, 0, 0x18], 'ftypheic', [0])), 'image/heif')
  t.equal(sniffContentType(b([0, 0, 0, 0x18], 'ftypmp42', [0])), undefined, 'an mp4 is not an image')
  t.equal(sniffContentType(b('hello world, not an image')), undefined)
  t.equal(sniffContentType(Buffer.alloc(0)), undefined)
  t.equal(sniffContentType(b([0xff, 0xd8])), undefined, 'too short')
})

t.test('outputs mirror the input tree', async (t) => {
  t.equal(outputRelativePath('a/b/photo.jpg', 'detect'), 'a/b/photo.jpg.json')
  t.equal(outputRelativePath('photo.png', 'detect', 'image/png'), 'photo.png.json')
  t.equal(outputRelativePath('a/b/photo.jpg', 'blur', 'image/jpeg'), 'a/b/photo.jpg')
  t.equal(outputRelativePath('a/PHOTO.JPEG', 'blur', 'image/jpeg'), 'a/PHOTO.JPEG')
  t.equal(outputRelativePath('a/photo.png', 'blur'), 'a/photo.png', 'no content type: keep the name')
  t.equal(outputRelativePath('a/photo.png', 'blur', 'image/jpeg'), 'a/photo.jpg', 'the extension follows the content')
  t.equal(outputRelativePath('a/scan.bmp', 'blur', 'image/png'), 'a/scan.png')
  t.equal(outputRelativePath('a/photo.png', 'blur', 'application/x-unknown'), 'a/photo.png')
  t.equal(toPortable('a/b/c.jpg'), 'a/b/c.jpg')
})
