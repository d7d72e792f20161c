// The one file that runs FFmpeg. Every call is a child process with bounded output, stderr kept
// for the error, and no shell; its failures leave here as coded errors.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FaceBlurError } from '@faceblur/contracts'
import { parseProbe, uprightFilter, type MediaInfo } from './probe.js'

export interface FfmpegTools { ffmpeg: string, ffprobe: string }

export interface FrameFormat {
  /** Upright size of every frame. */
  width: number
  height: number
  /** Clockwise degrees the stored frames turn to stand upright (0, 90, 180, 270). */
  rotation: number
}

export interface EncodeSettings { width: number, height: number, fps: string, preset: string, crf: number }

/** Audio codecs an MP4 holds as they are; anything else is re-encoded to AAC. */
const MP4_AUDIO = new Set(['aac', 'mp3', 'alac', 'ac3', 'eac3', 'opus'])

const STDERR_KEEP = 4096

interface Ran { code: number | null, stdout: Buffer, stderr: string }

function spawned (bin: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] })
}

/** Keeps the last few KiB of a child's stderr, for the error message. */
function tail (child: ChildProcessWithoutNullStreams): () => string {
  let text = ''
  child.stderr.on('data', (chunk: Buffer) => { text = (text + chunk.toString()).slice(-STDERR_KEEP) })
  return () => text.trim()
}

async function exited (child: ChildProcessWithoutNullStreams, bin: string): Promise<number | null> {
  try {
    const [code] = await once(child, 'close') as [number | null]
    return code
  } catch (err) {
    throw missing(bin, err)
  }
}

function missing (bin: string, err: unknown): FaceBlurError {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    return new FaceBlurError('FB_ERR_INTERNAL', `${bin} is not installed (apt-get install ffmpeg, or set FACEBLUR_FFMPEG / FACEBLUR_FFPROBE)`, { cause: err })
  }
  return new FaceBlurError('FB_ERR_INTERNAL', `${bin}: ${(err as Error).message}`, { cause: err })
}

async function run (bin: string, args: readonly string[], signal?: AbortSignal, maxStdout = 64 * 1024 * 1024): Promise<Ran> {
  const child = spawned(bin, args)
  child.stdin.end()
  const stderr = tail(child)
  const chunks: Buffer[] = []
  let bytes = 0
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length
    if (bytes > maxStdout) child.kill('SIGKILL')
    else chunks.push(chunk)
  })
  const stop = (): void => { child.kill('SIGKILL') }
  signal?.addEventListener('abort', stop, { once: true })
  try {
    const code = await exited(child, bin)
    signal?.throwIfAborted()
    return { code, stdout: Buffer.concat(chunks), stderr: stderr() }
  } finally {
    signal?.removeEventListener('abort', stop)
  }
}

const undecodable = (what: string, stderr: string): FaceBlurError =>
  new FaceBlurError('FB_ERR_VIDEO_UNDECODABLE', `${what}: ${stderr.split('\n').slice(-3).join(' ').slice(0, 500) || 'ffmpeg failed'}`)

export function createFfmpeg (tools: FfmpegTools) {
  const { ffmpeg, ffprobe } = tools
  const quiet = ['-hide_banner', '-nostdin', '-v', 'error']

  return {
    /** FFmpeg's version line; fails at start-up, not on the first video, when FFmpeg is missing. */
    async version (): Promise<string> {
      const ran = await run(ffmpeg, ['-hide_banner', '-version'])
      if (ran.code !== 0) throw new FaceBlurError('FB_ERR_INTERNAL', `${ffmpeg} -version failed: ${ran.stderr}`)
      return ran.stdout.toString().split('\n')[0]!.trim()
    },

    /** Streams, size, rate and duration of a media file. */
    async probe (path: string, signal?: AbortSignal): Promise<MediaInfo> {
      const ran = await run(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], signal)
      if (ran.code !== 0) throw undecodable('not a readable video', ran.stderr)
      try {
        return parseProbe(JSON.parse(ran.stdout.toString()))
      } catch (err) {
        throw new FaceBlurError('FB_ERR_VIDEO_UNDECODABLE', `ffprobe's answer did not parse: ${(err as Error).message}`, { cause: err })
      }
    },

    /** Video packets (= frames) in a file's first video stream, read without decoding. */
    async countFrames (path: string, signal?: AbortSignal): Promise<number> {
      const ran = await run(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', path], signal)
      const n = Number(ran.stdout.toString().trim().split(/[\s,]/)[0])
      if (ran.code !== 0 || !Number.isInteger(n)) throw undecodable('could not count the frames', ran.stderr)
      return n
    },

    /**
     * Cuts the first video stream, without re-encoding, into segments of about `seconds` each:
     * the muxer cuts only at keyframes, so each segment decodes on its own. Returns their paths in order.
     */
    async split (path: string, dir: string, seconds: number, signal?: AbortSignal): Promise<string[]> {
      const ran = await run(ffmpeg, [...quiet, '-i', path, '-map', '0:v:0', '-c', 'copy', '-f', 'segment', '-segment_time', String(seconds),
        '-reset_timestamps', '1', '-segment_format', 'matroska', join(dir, '%05d.mkv')], signal)
      if (ran.code !== 0) throw undecodable('could not cut the video into segments', ran.stderr)
      return (await readdir(dir)).filter((f) => f.endsWith('.mkv')).sort().map((f) => join(dir, f))
    },

    /** Copies the first audio stream out as it is (Matroska holds any codec). */
    async extractAudio (path: string, out: string, signal?: AbortSignal): Promise<void> {
      const ran = await run(ffmpeg, [...quiet, '-i', path, '-map', '0:a:0', '-vn', '-c:a', 'copy', '-map_metadata', '-1', '-y', out], signal)
      if (ran.code !== 0) throw undecodable('could not read the audio', ran.stderr)
    },

    /**
     * The frames of a file's first video stream as upright RGB (`width`×`height`×3 bytes each).
     * Stopping the iteration early stops FFmpeg.
     */
    async * frames (path: string, format: FrameFormat, signal?: AbortSignal): AsyncGenerator<Buffer> {
      const size = format.width * format.height * 3
      const filters = [uprightFilter(format.rotation), `scale=${format.width}:${format.height}`].filter((f) => f !== '').join(',')
      const child = spawned(ffmpeg, [...quiet, '-noautorotate', '-i', path, '-map', '0:v:0', '-vf', filters, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'])
      child.stdin.end()
      const stderr = tail(child)
      const done = exited(child, ffmpeg)
      const stop = (): void => { child.kill('SIGKILL') }
      signal?.addEventListener('abort', stop, { once: true })
      // Chunks (64 KiB from the pipe) are gathered and copied once per frame: concatenating as
      // they came copied a 1080p frame's bytes about 50 times over.
      let chunks: Buffer[] = []
      let have = 0
      let pending: Buffer = Buffer.alloc(0)
      let finished = false
      try {
        for await (const chunk of child.stdout) {
          chunks.push(chunk as Buffer)
          have += (chunk as Buffer).length
          if (have < size) continue
          pending = Buffer.concat(chunks, have)
          let at = 0
          for (; at + size <= pending.length; at += size) yield pending.subarray(at, at + size)
          pending = pending.subarray(at)
          chunks = pending.length === 0 ? [] : [pending]
          have = pending.length
        }
        pending = Buffer.concat(chunks, have)
        const code = await done
        finished = true
        signal?.throwIfAborted()
        if (code !== 0) throw undecodable('could not decode the video', stderr())
        if (pending.length !== 0) throw undecodable('the last frame was cut short', stderr())
      } finally {
        signal?.removeEventListener('abort', stop)
        if (!finished) {
          stop()
          await done.catch(() => {})
        }
      }
    },

    /** An H.264 encoder fed upright RGB frames, writing an MP4 with no audio and no metadata. */
    encoder (out: string, settings: EncodeSettings) {
      const child = spawned(ffmpeg, [...quiet, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${settings.width}x${settings.height}`,
        '-framerate', settings.fps, '-i', '-',
        // yuv420p needs even sides; the extra row or column repeats the edge.
        '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-preset', settings.preset, '-crf', String(settings.crf),
        '-pix_fmt', 'yuv420p', '-map_metadata', '-1', '-fflags', '+bitexact', '-an', '-y', out])
      const stderr = tail(child)
      const done = exited(child, ffmpeg)
      let failure: Error | undefined
      child.stdin.on('error', (err) => { failure = err })
      return {
        /** Resolves once the frame is taken (backpressure: FFmpeg sets the pace). */
        async write (frame: Buffer): Promise<void> {
          if (failure !== undefined || child.exitCode !== null) throw new FaceBlurError('FB_ERR_INTERNAL', `the encoder stopped: ${stderr() || failure?.message}`)
          if (!child.stdin.write(frame)) await Promise.race([once(child.stdin, 'drain'), done])
        },
        async end (): Promise<void> {
          child.stdin.end()
          const code = await done
          if (code !== 0) throw new FaceBlurError('FB_ERR_INTERNAL', `the encoder failed: ${stderr()}`)
        },
        abort (): void { child.kill('SIGKILL') }
      }
    },

    /**
     * Joins encoded segments (same settings, so no re-encoding) and the audio into one MP4 with its
     * index first (playable while it downloads) and no metadata: no tags, no chapters, no
     * muxer or encoder strings (x264's settings travel in an SEI unit, which is dropped too).
     */
    async join (segments: readonly string[], audio: { path: string, codec: string } | undefined, out: string, workDir: string, signal?: AbortSignal): Promise<void> {
      const list = join(workDir, 'segments.txt')
      await writeFile(list, segments.map((s) => `file '${s.replaceAll("'", "'\\''")}'\n`).join(''))
      const audioArgs = audio === undefined
        ? []
        : ['-i', audio.path, '-map', '1:a:0', '-c:a', ...(MP4_AUDIO.has(audio.codec) ? ['copy'] : ['aac', '-b:a', '160k'])]
      const ran = await run(ffmpeg, [...quiet, '-f', 'concat', '-safe', '0', '-i', list, ...audioArgs, '-map', '0:v:0', '-c:v', 'copy',
        '-bsf:v', 'filter_units=remove_types=6', '-map_metadata', '-1', '-map_chapters', '-1', '-fflags', '+bitexact',
        '-movflags', '+faststart', '-f', 'mp4', '-y', out], signal)
      if (ran.code !== 0) throw new FaceBlurError('FB_ERR_INTERNAL', `joining the segments failed: ${ran.stderr.slice(-500)}`)
    }
  }
}

export type Ffmpeg = ReturnType<typeof createFfmpeg>
