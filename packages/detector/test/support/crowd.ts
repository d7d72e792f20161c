// A large "crowd" picture made of real photographs: many small copies of the people in the seed
// image and the public-domain astronaut portrait, laid out on a 4000 px canvas so that their
// faces are about 40 px wide. The true boxes are known from the layout.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { Box } from '@faceblur/contracts'

const fixtures = join(import.meta.dirname, '../../../..')
const seed = readFileSync(join(fixtures, '../shared/fixtures/seed_test.jpg'))
const astronaut = readFileSync(join(fixtures, 'e2e/fixtures/astronaut.png'))

/** People to paste: the crop around each face, and that face's box inside the crop. */
const PEOPLE: Array<{ image: Buffer, crop: { left: number, top: number, width: number, height: number }, face: Box }> = [
  { image: seed, crop: { left: 130, top: 60, width: 590, height: 900 }, face: [232, 170, 622, 697] },
  { image: seed, crop: { left: 940, top: 120, width: 630, height: 880 }, face: [1045, 241, 1466, 801] },
  { image: astronaut, crop: { left: 130, top: 10, width: 200, height: 300 }, face: [181, 59, 272, 179] }
]

export interface Crowd { image: Buffer, faces: Box[], width: number, height: number }

export async function makeCrowd ({ width = 4000, height = 2600, cols = 10, rows = 5, faceWidth = 40 } = {}): Promise<Crowd> {
  const composites: sharp.OverlayOptions[] = []
  const faces: Box[] = []
  const cellW = width / cols
  const cellH = height / rows
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const person = PEOPLE[(r * cols + c) % PEOPLE.length]!
      const scale = (faceWidth * (0.85 + 0.3 * (((r * 7 + c * 3) % 5) / 4))) / (person.face[2] - person.face[0])
      const w = Math.round(person.crop.width * scale)
      const h = Math.round(person.crop.height * scale)
      const left = Math.round(c * cellW + (cellW - w) / 2 + ((r * 13 + c * 29) % 41) - 20)
      const top = Math.round(r * cellH + (cellH - h) / 2 + ((r * 17 + c * 11) % 31) - 15)
      const input = await sharp(person.image).extract(person.crop).resize(w, h).png().toBuffer()
      composites.push({ input, left, top })
      faces.push([
        Math.round(left + (person.face[0] - person.crop.left) * scale),
        Math.round(top + (person.face[1] - person.crop.top) * scale),
        Math.round(left + (person.face[2] - person.crop.left) * scale),
        Math.round(top + (person.face[3] - person.crop.top) * scale)
      ])
    }
  }
  const image = await sharp({ create: { width, height, channels: 3, background: { r: 138, g: 143, b: 150 } } })
    .composite(composites)
    .jpeg({ quality: 92 })
    .toBuffer()
  return { image, faces, width, height }
}
