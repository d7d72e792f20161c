// Real clips for the video tests, made with FFmpeg from the fixture photo, and what FFprobe says of a result.
import { execFile } from 'node:child_process'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const SEED = join(import.meta.dirname, '../../../shared/fixtures/seed_test.jpg')

export interface ClipOptions {
  seconds: number
  fps?: number
  /** Frames between keyframes (where segments can be cut). */
  gop?: number
  audio?: boolean
  /** Output size; the pan crops 1280×720 of the 1634×1000 photo, both faces whole. */
  width?: number
  height?: number
  /** A display rotation tag, as phones write (the stored frames stay as they are). */
  rotate?: number
}

/** Pans across the fixture photo of two people (both faces in every frame), with a 440 Hz tone and tags to strip. */
export async function makeClip (dir: string, name: string, o: ClipOptions): Promise<Buffer> {
  const fps = o.fps ?? 25
  const path = join(dir, name)
  const speed = 354 / o.seconds
  await run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-loop', '1', '-framerate', String(fps), '-i', SEED,
    ...(o.audio === false ? [] : ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000']),
    '-filter_complex', `[0:v]crop=1280:720:'min(354,t*${speed})':140,scale=${o.width ?? 640}:${o.height ?? 360},format=yuv420p[v]`,
    '-map', '[v]', ...(o.audio === false ? [] : ['-map', '1:a', '-c:a', 'aac']), '-t', String(o.seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', String(o.gop ?? fps),
    '-metadata', 'title=Secret title', '-metadata', 'comment=GPS 51.5,-0.1', path])
  if (o.rotate !== undefined) {
    // FFmpeg 5.1 turns the tag into a display matrix only when it copies the stream.
    const stored = `${path}.stored.mp4`
    await rename(path, stored)
    await run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-i', stored, '-c', 'copy', '-metadata:s:v:0', `rotate=${o.rotate}`, path])
  }
  return await readFile(path)
}

/** An audio-only file (an M4A): a container the door takes, with no video stream in it. */
export async function makeAudioOnly (dir: string): Promise<Buffer> {
  const path = join(dir, 'tone.mp4')
  await run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '2', '-c:a', 'aac', path])
  return await readFile(path)
}

export interface Probed {
  frames: number
  duration: number
  fps: string
  width: number
  height: number
  video: string
  audio?: string
  tags: Record<string, string>
}

export async function probe (dir: string, bytes: Buffer): Promise<Probed> {
  const path = join(dir, `probe-${Math.random().toString(36).slice(2)}.mp4`)
  await writeFile(path, bytes)
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_format', '-show_streams', '-of', 'json', path])
  const json = JSON.parse(stdout) as { format: { duration: string, tags?: Record<string, string> }, streams: Array<{ codec_type: string, codec_name: string, nb_read_packets?: string, avg_frame_rate: string, width?: number, height?: number }> }
  const v = json.streams.find((s) => s.codec_type === 'video')!
  const a = json.streams.find((s) => s.codec_type === 'audio')
  return {
    frames: Number(v.nb_read_packets),
    duration: Number(json.format.duration),
    fps: v.avg_frame_rate,
    width: v.width!,
    height: v.height!,
    video: v.codec_name,
    ...(a === undefined ? {} : { audio: a.codec_name }),
    tags: json.format.tags ?? {}
  }
}

/** Frame `n` (from 0) of a video as a PNG. */
export async function frameAt (dir: string, bytes: Buffer, n: number): Promise<Buffer> {
  const path = join(dir, `frame-${Math.random().toString(36).slice(2)}.mp4`)
  await writeFile(path, bytes)
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', path, '-vf', `select=eq(n\\,${n})`, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
  return stdout
}

/** Waits (up to `ms`) until nothing is left under `prefix`: a stage deletes a task's work objects just after its final status is out. */
export async function emptied (list: (prefix: string) => Promise<string[]>, prefix: string, ms = 30_000): Promise<string[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const left = await list(prefix)
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
