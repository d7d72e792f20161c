// The folder the submit tests send: four images in nested folders and three files the CLI must
// ignore or refuse before the pipeline, and the arguments a test's run starts from.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SubmitArgs } from '../../src/args.js'

export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4])
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.from([0, 0, 0, 13])])

export const FILES: Record<string, string> = {
  'a.jpg': JSON.stringify('a.jpg'),
  'x/b.png': 'x/b.png',
  'x/y/c.jpeg': 'x/y/c.jpeg',
  'x/y/broken.jpg': 'x/y/broken.jpg',
  'x/notes.txt': 'not an image',
  'fake.jpg': 'plain text with an image name',
  'empty.png': ''
}
/** The four files that are sent; the other three are ignored or refused before the pipeline. */
export const SENT = ['a.jpg', 'x/b.png', 'x/y/c.jpeg', 'x/y/broken.jpg']
export const DETECTION = { face_1: { facial_area: [1, 2, 3, 4] } }

export async function tree (): Promise<{ root: string, input: string, out: string }> {
  const root = await mkdtemp(join(tmpdir(), 'faceblur-cli-'))
  const input = join(root, 'in')
  for (const [rel, content] of Object.entries(FILES)) {
    await mkdir(join(input, rel, '..'), { recursive: true })
    const magic = rel.endsWith('.png') ? PNG : JPEG
    await writeFile(join(input, rel), content === '' || rel === 'fake.jpg' || rel.endsWith('.txt') ? content : Buffer.concat([magic, Buffer.from(content, 'latin1')]))
  }
  return { root, input, out: join(root, 'out') }
}

export const args = (over: Partial<SubmitArgs>): SubmitArgs => ({
  command: 'submit', dir: '.', kind: 'detect', concurrency: 4, wait: false, retryFailed: false, timeoutS: 0, json: false, stats: false, quiet: false, ...over
})

/** A --wait run that should see every task end: give up (and fail the test) long before tap does. */
export const WAIT = { wait: true, timeoutS: 15 } as const

export const sorted = (a: string[]): string[] => [...a].sort()
