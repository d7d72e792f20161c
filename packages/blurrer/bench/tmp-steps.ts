import { readFileSync } from 'node:fs'
import sharp from 'sharp'
import { blurFaces } from '../src/blur.js'
const files = { jpg: readFileSync('/work/shared/fixtures/seed_test.jpg'), png: readFileSync('/work/main/e2e/fixtures/astronaut.png') }
const boxes: Record<string, any> = { jpg: [[440, 150, 640, 420], [1000, 150, 1200, 420]], png: [[181, 59, 272, 179]] }
async function cpu (label: string, f: () => Promise<unknown>, n = 30) {
  await f(); const c0 = process.cpuUsage(); const t0 = performance.now()
  for (let i = 0; i < n; i++) await f()
  const c = process.cpuUsage(c0)
  console.log(label.padEnd(28), ((c.user + c.system) / 1000 / n).toFixed(1), 'cpu ms', ((performance.now() - t0) / n).toFixed(1), 'wall ms')
}
for (const [k, buf] of Object.entries(files)) {
  await cpu(`${k} metadata`, () => sharp(buf).metadata())
  await cpu(`${k} decode raw`, () => sharp(buf).rotate().raw().toBuffer())
  const { data, info } = await sharp(buf).rotate().raw().toBuffer({ resolveWithObject: true })
  await cpu(`${k} encode same fmt`, () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).toFormat(k === 'jpg' ? 'jpeg' : 'png', k === 'jpg' ? { quality: 90 } : {}).toBuffer())
  for (const mode of ['gaussian', 'pixelate']) await cpu(`${k} blurFaces ${mode}`, () => blurFaces(buf, boxes[k], { mode: mode as any, shape: 'ellipse', padding: 0.2 }, 64e6))
}
