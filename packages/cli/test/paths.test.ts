import t from 'tap'
import { contentTypeFromExtension, isImagePath, outputRelativePath, toPortable } from '../src/paths.js'

t.test('image extensions, in any case; everything else is not an image', async (t) => {
  for (const name of ['a.jpg', 'b.JPEG', 'c.png', 'd/e.webp', 'f.gif', 'g.tif', 'h.TIFF', 'i.avif', 'j.heic', 'k.heif', 'l.jfif']) t.ok(isImagePath(name), name)
  for (const name of ['notes.txt', 'README', '.faceblur-state.jsonl', 'a.jpg.json', 'photo.bmp', 'x.svg', '.jpg.bak', 'video.mp4']) t.notOk(isImagePath(name), name)
  t.equal(contentTypeFromExtension('x.JPG'), 'image/jpeg')
  t.equal(contentTypeFromExtension('x.txt'), undefined)
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
