// Running FFmpeg and ffprobe: a child process with no shell, stdout bounded, the last of stderr kept
// for the error, and its failures as coded errors. Used by ffmpeg.ts and frames.ts only.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { FaceBlurError } from '@faceblur/contracts'

/** Arguments every FFmpeg run starts with: no banner, no stdin, errors only. */
export const QUIET = ['-hide_banner', '-nostdin', '-v', 'error']

const STDERR_KEEP = 4096

export interface Ran { code: number | null, stdout: Buffer, stderr: string }

export function spawned (bin: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] })
}

/** Keeps the last few KiB of a child's stderr, for the error message. */
export function tail (child: ChildProcessWithoutNullStreams): () => string {
  let text = ''
  child.stderr.on('data', (chunk: Buffer) => { text = (text + chunk.toString()).slice(-STDERR_KEEP) })
  return () => text.trim()
}

export async function exited (child: ChildProcessWithoutNullStreams, bin: string): Promise<number | null> {
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

export async function run (bin: string, args: readonly string[], signal?: AbortSignal, maxStdout = 64 * 1024 * 1024): Promise<Ran> {
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

export const undecodable = (what: string, stderr: string): FaceBlurError =>
  new FaceBlurError('FB_ERR_VIDEO_UNDECODABLE', `${what}: ${stderr.split('\n').slice(-3).join(' ').slice(0, 500) || 'ffmpeg failed'}`)
