// Uploads that must be refused, each with the status and code a client should get.
import { deflateSync } from 'node:zlib'
import { crc32 } from 'node:zlib'
import sharp from 'sharp'

export interface BadUpload {
  name: string
  status: number
  code: string
  /** Builds the request: path (with query) and fetch init. */
  request: () => Promise<{ path: string, init: RequestInit }>
}

const multipart = (parts: Array<{ field: string, bytes?: Buffer, text?: string, filename?: string }>): FormData => {
  const form = new FormData()
  for (const p of parts) {
    if (p.text !== undefined) form.append(p.field, p.text)
    else form.append(p.field, new Blob([p.bytes ?? Buffer.alloc(0)]), p.filename ?? 'photo.jpg')
  }
  return form
}
const upload = (path: string, bytes: Buffer, field = 'file', filename = 'photo.jpg') => async () =>
  ({ path, init: { method: 'POST', body: multipart([{ field, bytes, filename }]) } })

function pngChunk (type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

/** A valid-looking PNG that claims `side`×`side` pixels: a decompression bomb's header. */
export function pngBomb (side: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(side, 0)
  ihdr.writeUInt32BE(side, 4)
  ihdr[8] = 1 // bit depth
  ihdr[9] = 0 // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', Buffer.alloc(0))
  ])
}

/** A real JPEG whose frame header is patched to claim `width`×`height`. */
export function jpegBomb (jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg)
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out.writeUInt16BE(height, i + 5)
      out.writeUInt16BE(width, i + 7)
      return out
    }
  }
  throw new Error('no SOF marker')
}

export async function badUploads (seed: Buffer, maxUploadBytes: number): Promise<BadUpload[]> {
  const png = await sharp(seed).resize(400).png().toBuffer()
  const webp = await sharp(seed).resize(400).webp().toBuffer()
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')
  return [
    { name: 'JSON body instead of multipart', status: 406, code: 'FB_ERR_UPLOAD_NOT_MULTIPART', request: async () => ({ path: '/detect_faces', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"file":"x"}' } }) },
    { name: 'raw JPEG body, no multipart', status: 406, code: 'FB_ERR_UPLOAD_NOT_MULTIPART', request: async () => ({ path: '/detect_faces', init: { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: seed } }) },
    { name: 'no body at all', status: 406, code: 'FB_ERR_UPLOAD_NOT_MULTIPART', request: async () => ({ path: '/blur_faces', init: { method: 'POST' } }) },
    { name: 'multipart with only a text field', status: 400, code: 'FB_ERR_UPLOAD_MISSING_FILE', request: async () => ({ path: '/detect_faces', init: { method: 'POST', body: multipart([{ field: 'note', text: 'hello' }]) } }) },
    { name: 'file in a misnamed field', status: 400, code: 'FB_ERR_UPLOAD_MISSING_FILE', request: upload('/detect_faces', seed, 'image') },
    { name: 'empty file', status: 422, code: 'FB_ERR_UPLOAD_EMPTY', request: upload('/detect_faces', Buffer.alloc(0)) },
    { name: 'text named photo.jpg', status: 415, code: 'FB_ERR_IMAGE_UNSUPPORTED', request: upload('/detect_faces', Buffer.from('just some text, honestly')) },
    { name: 'random bytes', status: 415, code: 'FB_ERR_IMAGE_UNSUPPORTED', request: upload('/blur_faces', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))) },
    { name: 'a PDF', status: 415, code: 'FB_ERR_IMAGE_UNSUPPORTED', request: upload('/detect_faces', Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF'), 'file', 'doc.pdf') },
    { name: 'an SVG (not a supported format)', status: 415, code: 'FB_ERR_IMAGE_UNSUPPORTED', request: upload('/detect_faces', svg, 'file', 'x.svg') },
    { name: 'JPEG cut in half', status: 422, code: 'FB_ERR_IMAGE_UNDECODABLE', request: upload('/detect_faces', seed.subarray(0, seed.length >> 1)) },
    { name: 'JPEG missing its last bytes', status: 422, code: 'FB_ERR_IMAGE_UNDECODABLE', request: upload('/blur_faces', seed.subarray(0, seed.length - 10)) },
    { name: 'JPEG header only', status: 422, code: 'FB_ERR_IMAGE_UNDECODABLE', request: upload('/detect_faces', seed.subarray(0, 20)) },
    { name: 'PNG without its end', status: 422, code: 'FB_ERR_IMAGE_UNDECODABLE', request: upload('/detect_faces', png.subarray(0, png.length - 30), 'file', 'x.png') },
    { name: 'WebP cut short', status: 422, code: 'FB_ERR_IMAGE_UNDECODABLE', request: upload('/detect_faces', webp.subarray(0, webp.length - 50), 'file', 'x.webp') },
    { name: 'PNG bomb claiming 30000×30000', status: 422, code: 'FB_ERR_IMAGE_TOO_MANY_PIXELS', request: upload('/detect_faces', pngBomb(30_000), 'file', 'bomb.png') },
    { name: 'JPEG bomb claiming 60000×60000', status: 422, code: 'FB_ERR_IMAGE_TOO_MANY_PIXELS', request: upload('/blur_faces', jpegBomb(seed, 60_000, 60_000)) },
    { name: 'more bytes than the limit', status: 413, code: 'FB_ERR_UPLOAD_TOO_LARGE', request: upload('/detect_faces', Buffer.concat([seed, Buffer.alloc(maxUploadBytes)])) },
    { name: 'unknown blur mode', status: 400, code: 'FB_ERR_REQUEST_INVALID', request: upload('/blur_faces?mode=swirl', seed) },
    { name: 'blur padding out of range', status: 400, code: 'FB_ERR_REQUEST_INVALID', request: upload('/blur_faces?padding=5', seed) },
    { name: 'blur padding not a number', status: 400, code: 'FB_ERR_REQUEST_INVALID', request: upload('/blur_faces?padding=lots', seed) },
    { name: 'malformed task id', status: 400, code: 'FB_ERR_TASK_ID_INVALID', request: async () => ({ path: '/task_result/..%2F..%2Fetc%2Fpasswd', init: {} }) },
    { name: 'upper-case task id', status: 400, code: 'FB_ERR_TASK_ID_INVALID', request: async () => ({ path: '/task_result/0B6F5C1E-8F0E-4A51-9C43-2F1D0C3C9A10', init: {} }) },
    { name: 'unknown task id', status: 404, code: 'FB_ERR_TASK_NOT_FOUND', request: async () => ({ path: '/task_result/00000000-0000-4000-8000-000000000000', init: {} }) },
    { name: 'binary result of an unknown task', status: 404, code: 'FB_ERR_TASK_NOT_FOUND', request: async () => ({ path: '/results/00000000-0000-4000-8000-000000000000', init: {} }) },
    { name: 'no such route', status: 404, code: 'FB_ERR_ROUTE_NOT_FOUND', request: async () => ({ path: '/upload', init: { method: 'POST' } }) },
    { name: 'GET on an upload route', status: 404, code: 'FB_ERR_ROUTE_NOT_FOUND', request: async () => ({ path: '/detect_faces', init: {} }) }
  ]
}
