// A hard clip for the blur's privacy checks, rendered frame by frame from mosaics of the fixture
// photo: a fast diagonal pan (faces crossing all four edges, entering and leaving), a zoom (faces
// growing across the edges), then a hard cut to a slow pan over a crowd of small faces.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'

const SEED = join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg')
export const SCENE_SIZE = { width: 640, height: 360 }
export const SCENE_FPS = 25

/** The fixture photo's two faces, in its own pixels (the detector's boxes for it). */
const SEED_FACES: Array<[number, number, number, number]> = [[232, 170, 622, 697], [1045, 241, 1466, 801]]

interface Canvas { data: Buffer, width: number, height: number, /** every face on the canvas, in its pixels */ faces: Array<[number, number, number, number]> }
/** A view of the canvas: its top-left corner and width (the height keeps 16:9). */
interface View { x: number, y: number, width: number }

/** `cols`×`rows` copies of the fixture photo (two faces each) at `scale`, side by side. */
async function mosaic (scale: number, cols: number, rows: number): Promise<Canvas> {
  const tile = await sharp(SEED).resize(Math.round(1634 * scale)).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  const { width, height } = tile.info
  const composite = []
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) composite.push({ input: tile.data, raw: { width, height, channels: 3 as const }, left: c * width, top: r * height })
  const data = await sharp({ create: { width: width * cols, height: height * rows, channels: 3, background: '#808080' } }).composite(composite).removeAlpha().raw().toBuffer()
  const k = width / 1634
  const faces = composite.flatMap(({ left, top }) => SEED_FACES.map(([x1, y1, x2, y2]): [number, number, number, number] => [left + x1 * k, top + y1 * k, left + x2 * k, top + y2 * k]))
  return { data, width: width * cols, height: height * rows, faces }
}

const between = (a: View, b: View, f: number): View => ({ x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f, width: a.width + (b.width - a.width) * f })

/** The three scenes: views of their canvases, one per frame; `cut` is the first frame of the last. */
export async function sceneViews (): Promise<{ frames: Array<{ canvas: Canvas, view: View }>, cut: number }> {
  const [big, crowd] = await Promise.all([mosaic(0.3, 6, 6), mosaic(0.12, 10, 10)])
  const frames: Array<{ canvas: Canvas, view: View }> = []
  // Fast pan: corner to corner and back, 40–70 canvas px (27–47 output px) a frame.
  const far = { x: big.width - 960, y: big.height - 540, width: 960 }
  for (let i = 0; i < 60; i++) frames.push({ canvas: big, view: between({ x: 0, y: 0, width: 960 }, far, i < 30 ? i / 29 : (59 - i) / 29 * 0.8 + 0.1) })
  // Zoom in on the middle: faces from about 30 to 110 px.
  for (let i = 0; i < 45; i++) {
    const width = 2400 - (2400 - 720) * i / 44
    frames.push({ canvas: big, view: { x: (big.width - width) / 2, y: (big.height - width * 9 / 16) / 2, width } })
  }
  const cut = frames.length
  // Hard cut to a crowd of small faces (30–45 px), panned slowly.
  for (let i = 0; i < 45; i++) frames.push({ canvas: crowd, view: between({ x: 100, y: 80, width: 960 }, { x: 600, y: 400, width: 960 }, i / 44) })
  return { frames, cut }
}

/**
 * Where each face of the frame's canvas is in the frame (in the canvas's face order, so index i is
 * the same face in every frame of a scene), clipped to it; null where it is out of the frame.
 */
export function truthIn ({ canvas, view }: { canvas: Canvas, view: View }): Array<[number, number, number, number] | null> {
  const k = SCENE_SIZE.width / view.width
  return canvas.faces.map(([x1, y1, x2, y2]) => {
    const box: [number, number, number, number] = [
      Math.max(0, (x1 - view.x) * k), Math.max(0, (y1 - view.y) * k),
      Math.min(SCENE_SIZE.width, (x2 - view.x) * k), Math.min(SCENE_SIZE.height, (y2 - view.y) * k)
    ]
    return box[2] > box[0] && box[3] > box[1] ? box : null
  })
}

async function render ({ canvas, view }: { canvas: Canvas, view: View }): Promise<Buffer> {
  const width = Math.round(view.width)
  const height = Math.round(view.width * 9 / 16)
  return await sharp(canvas.data, { raw: { width: canvas.width, height: canvas.height, channels: 3 } })
    .extract({ left: Math.round(view.x), top: Math.round(view.y), width, height })
    .resize(SCENE_SIZE.width, SCENE_SIZE.height, { fit: 'fill' }).raw().toBuffer()
}

/** Renders the scenes (or their first `count` frames: the fast pan) into an H.264 MP4, one keyframe a second, no audio. */
export async function makeScenes (dir: string, name: string, count = Infinity): Promise<{ clip: Buffer, frames: number, cut: number }> {
  const scenes = await sceneViews()
  const frames = scenes.frames.slice(0, count)
  const cut = scenes.cut
  const path = join(dir, name)
  const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24',
    '-s', `${SCENE_SIZE.width}x${SCENE_SIZE.height}`, '-r', String(SCENE_FPS), '-i', '-',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-g', String(SCENE_FPS), '-pix_fmt', 'yuv420p', path], { stdio: ['pipe', 'ignore', 'inherit'] })
  const exited = once(ffmpeg, 'exit')
  for (const frame of frames) {
    if (!ffmpeg.stdin.write(await render(frame))) await once(ffmpeg.stdin, 'drain')
  }
  ffmpeg.stdin.end()
  const [code] = await exited as [number | null]
  if (code !== 0) throw new Error(`ffmpeg exited ${code} rendering ${name}`)
  return { clip: await readFile(path), frames: frames.length, cut }
}
