// The web demo in a real headless Chromium against the real pipeline.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { chromium, type Browser } from 'playwright-core'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { BLUR_MODES, BLUR_SHAPES } from '@faceblur/contracts'
import { freePort, start, type RunningService } from '../support/harness.js'
import { makeClip } from '../support/video.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: \`npm test\` installs Debian's chromium (as root), or set CHROMIUM_PATH`)
const seedPath = join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg')
const artifacts = join(import.meta.dirname, '../artifacts')
mkdirSync(artifacts, { recursive: true })

const port = freePort()
const services: RunningService[] = []
let browser: Browser | undefined
t.before(async () => {
  services.push(...await Promise.all([start('gateway', { PORT: String(port) }), start('detector'), start('blurrer'), start('video', { FACEBLUR_VIDEO_SEGMENT_S: '1' })]))
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
  })
})
t.teardown(async () => {
  await browser?.close()
  await Promise.all(services.map((s) => s.stop()))
})

t.test('blur: drop in a photo, watch it live, see before and after', async (t) => {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(`http://127.0.0.1:${port}/`)
  t.equal(await page.title(), 'FaceBlur')
  await page.waitForSelector('select[name=shape] option', { state: 'attached' })
  const choices = async (name: string): Promise<string[]> => await page.$$eval(`select[name=${name}] option`, (os) => os.map((o) => (o as unknown as { value: string }).value))
  t.same(await choices('mode'), [...BLUR_MODES], 'the blur modes, from the API\'s description (the contracts)')
  t.same(await choices('shape'), [...BLUR_SHAPES], 'the shapes, likewise')
  await page.setInputFiles('#file', seedPath)
  await page.check('input[name=kind][value=blur]')
  await page.click('#go')
  await page.waitForSelector('#after-figure:not([hidden])', { timeout: 60_000 })
  const after = await page.$eval('#after', (img) => ({ w: (img as unknown as { naturalWidth: number }).naturalWidth, h: (img as unknown as { naturalHeight: number }).naturalHeight }))
  t.same(after, { w: 1634, h: 1000 }, 'the blurred image is shown at full size')
  const statuses = await page.$$eval('#status li', (lis) => lis.map((li) => li.textContent))
  t.ok(statuses.some((s) => s?.startsWith('SUCCESS')), `live statuses: ${statuses.join(' | ')}`)
  t.match(await page.getAttribute('#download', 'download'), /^blurred-seed_test\.jpg$/, 'a download link')
  await page.screenshot({ path: join(artifacts, 'demo-blur.png'), fullPage: true })
  t.same(errors, [], 'no script errors')
})

t.test('detect: boxes are drawn over the photo', async (t) => {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(`http://127.0.0.1:${port}/`)
  await page.setInputFiles('#file', seedPath)
  await page.check('input[name=kind][value=detect]')
  await page.click('#go')
  await page.waitForSelector('#boxes rect', { timeout: 60_000 })
  t.equal(await page.locator('#boxes rect').count(), 2, 'two faces outlined')
  t.equal(await page.textContent('#before-caption'), '2 faces found')
  await page.screenshot({ path: join(artifacts, 'demo-detect.png'), fullPage: true })
})

t.test('a non-image is refused with a readable error', async (t) => {
  const page = await browser!.newPage()
  await page.goto(`http://127.0.0.1:${port}/`)
  await page.setInputFiles('#file', { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not really a photo') })
  await page.click('#go')
  await page.waitForSelector('#error:not([hidden])')
  t.match(await page.textContent('#error'), /FB_ERR_IMAGE_UNSUPPORTED/)
})

t.test('video: a clip with a progress bar, then both videos playable', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'faceblur-demo-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  await makeClip(dir, 'street.mp4', { seconds: 3, fps: 25, gop: 25 })
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(`http://127.0.0.1:${port}/`)
  await page.setInputFiles('#file', join(dir, 'street.mp4'))
  await page.check('input[name=kind][value=video]')
  await page.click('#go')
  await page.waitForSelector('#progress-line:not([hidden])', { timeout: 60_000 })
  await page.waitForSelector('#after-video:not([hidden])', { timeout: 120_000 })
  t.equal(await page.getAttribute('#progress', 'max'), '75', 'the progress bar counts the frames')
  // The result plays: Chromium loads it (by range) far enough to know its size and show a frame.
  await page.waitForFunction('document.getElementById("after-video").readyState >= 2', undefined, { timeout: 30_000 })
  const size = await page.$eval('#after-video', (v) => [(v as unknown as { videoWidth: number }).videoWidth, (v as unknown as { videoHeight: number }).videoHeight])
  t.same(size, [640, 360], 'the blurred video is shown')
  t.match(await page.textContent('#after-caption'), /faces blurred in \d+ frames \(at most 2 in one\)/)
  t.match(await page.getAttribute('#download', 'download'), /^blurred-street\.mp4$/)
  const statuses = await page.$$eval('#status li', (lis) => lis.map((li) => li.textContent))
  t.ok(statuses.filter((s) => s === 'STARTED (video)').length === 1, `one line per state, the bar for the frames: ${statuses.join(' | ')}`)
  await page.screenshot({ path: join(artifacts, 'demo-video.png'), fullPage: true })
  t.same(errors, [], 'no script errors')
})
