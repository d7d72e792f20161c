// ms per image against image size and face count, on the seed photo scaled up.
//   npm run bench:blurrer            (from the repository root; BENCH_EFFORT=fast|small, the encoder's)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { Box } from '@faceblur/contracts'
import { blurFaces, type BlurPolicy, type EncodeEffort } from '../src/blur.js'


const seed = readFileSync(join(import.meta.dirname, '../../../../shared/fixtures/seed_test.jpg'))
const SIZES_MP = [1, 12, 24]
const FACE_COUNTS = [1, 10, 100]
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const policy: BlurPolicy = { mode: 'gaussian', shape: 'ellipse', padding: 0.2 }
const EFFORT = (process.env.BENCH_EFFORT ?? 'fast') as EncodeEffort

/** `count` face-sized boxes on a grid covering the image. */
function grid (width: number, height: number, count: number): Box[] {
  const cols = Math.ceil(Math.sqrt(count))
  const rows = Math.ceil(count / cols)
  const cw = width / cols
  const ch = height / rows
  return Array.from({ length: count }, (_, i) => {
    const x = (i % cols) * cw
    const y = Math.floor(i / cols) * ch
    return [Math.round(x + cw * 0.25), Math.round(y + ch * 0.2), Math.round(x + cw * 0.75), Math.round(y + ch * 0.8)] as Box
  })
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

console.log(`blurrer: ${policy.mode}/${policy.shape}, JPEG in and out (encode effort ${EFFORT}), median of ${RUNS} runs (ms per image)`)
console.log(['size', ...FACE_COUNTS.map((n) => `${n} face${n === 1 ? '' : 's'}`)].map((c) => c.padStart(12)).join(''))
for (const mp of SIZES_MP) {
  const scale = Math.sqrt((mp * 1e6) / (1634 * 1000))
  const width = Math.round(1634 * scale)
  const height = Math.round(1000 * scale)
  const image = await sharp(seed).resize(width, height).jpeg({ quality: 90 }).toBuffer()
  const row = [`${mp} MP`]
  for (const faces of FACE_COUNTS) {
    const boxes = grid(width, height, faces)
    await blurFaces(image, 'jpeg', boxes, policy, 100e6, EFFORT) // warm-up
    const times: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now()
      await blurFaces(image, 'jpeg', boxes, policy, 100e6, EFFORT)
      times.push(performance.now() - t0)
    }
    row.push(median(times).toFixed(0))
  }
  console.log(row.map((c) => c.padStart(12)).join(''))
}
