// Frames in and out of FFmpeg: decoding a video's frames to upright RGB, and encoding RGB frames to H.264.
import { once } from 'node:events'
import { FaceBlurError } from '@faceblur/contracts'
import { QUIET, exited, spawned, tail, undecodable } from './child-process.js'
import { uprightFilter } from './probe.js'

export interface FrameFormat {
  /** Upright size of every frame. */
  width: number
  height: number
  /** Clockwise degrees the stored frames turn to stand upright (0, 90, 180, 270). */
  rotation: number
}

export interface EncodeSettings { width: number, height: number, fps: string, preset: string, crf: number }

/** An H.264 encoder's input side. */
export interface Encoder {
  /** Resolves once the frame is taken (backpressure: FFmpeg sets the pace). */
  write: (frame: Buffer) => Promise<void>
  end: () => Promise<void>
  abort: () => void
}

/**
 * The frames of a file's first video stream as upright RGB (`width`×`height`×3 bytes each).
 * Stopping the iteration early stops FFmpeg.
 */
export async function * readFrames (ffmpeg: string, path: string, format: FrameFormat, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const size = format.width * format.height * 3
  const filters = [uprightFilter(format.rotation), `scale=${format.width}:${format.height}`].filter((f) => f !== '').join(',')
  const child = spawned(ffmpeg, [...QUIET, '-noautorotate', '-i', path, '-map', '0:v:0', '-vf', filters, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'])
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
}

/** An H.264 encoder fed upright RGB frames, writing an MP4 with no audio and no metadata. */
export function h264Encoder (ffmpeg: string, out: string, settings: EncodeSettings): Encoder {
  const child = spawned(ffmpeg, [...QUIET, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${settings.width}x${settings.height}`,
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
}
