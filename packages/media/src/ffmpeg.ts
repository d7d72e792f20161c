// What the video pipeline asks of FFmpeg and ffprobe: version, probe, count, cut, audio, frames in
// and out (frames.ts), join. Each call is a child process (child-process.ts); failures are coded errors.
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FaceBlurError } from '@faceblur/contracts'
import { QUIET, run, undecodable } from './child-process.js'
import { h264Encoder, readFrames, type EncodeSettings, type Encoder, type FrameFormat } from './frames.js'
import { parseProbe, type MediaInfo } from './probe.js'

export type { EncodeSettings, Encoder, FrameFormat } from './frames.js'

export interface FfmpegTools { ffmpeg: string, ffprobe: string }

/** Audio codecs an MP4 holds as they are; anything else is re-encoded to AAC. */
const MP4_AUDIO = new Set(['aac', 'mp3', 'alac', 'ac3', 'eac3', 'opus'])

export function createFfmpeg (tools: FfmpegTools) {
  const { ffmpeg, ffprobe } = tools

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
      const ran = await run(ffmpeg, [...QUIET, '-i', path, '-map', '0:v:0', '-c', 'copy', '-f', 'segment', '-segment_time', String(seconds),
        '-reset_timestamps', '1', '-segment_format', 'matroska', join(dir, '%05d.mkv')], signal)
      if (ran.code !== 0) throw undecodable('could not cut the video into segments', ran.stderr)
      return (await readdir(dir)).filter((f) => f.endsWith('.mkv')).sort().map((f) => join(dir, f))
    },

    /** Copies the first audio stream out as it is (Matroska holds any codec). */
    async extractAudio (path: string, out: string, signal?: AbortSignal): Promise<void> {
      const ran = await run(ffmpeg, [...QUIET, '-i', path, '-map', '0:a:0', '-vn', '-c:a', 'copy', '-map_metadata', '-1', '-y', out], signal)
      if (ran.code !== 0) throw undecodable('could not read the audio', ran.stderr)
    },

    /**
     * The frames of a file's first video stream as upright RGB (`width`×`height`×3 bytes each).
     * Stopping the iteration early stops FFmpeg.
     */
    frames: (path: string, format: FrameFormat, signal?: AbortSignal): AsyncGenerator<Buffer> => readFrames(ffmpeg, path, format, signal),

    /** An H.264 encoder fed upright RGB frames, writing an MP4 with no audio and no metadata. */
    encoder: (out: string, settings: EncodeSettings): Encoder => h264Encoder(ffmpeg, out, settings),

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
      const ran = await run(ffmpeg, [...QUIET, '-f', 'concat', '-safe', '0', '-i', list, ...audioArgs, '-map', '0:v:0', '-c:v', 'copy',
        '-bsf:v', 'filter_units=remove_types=6', '-map_metadata', '-1', '-map_chapters', '-1', '-fflags', '+bitexact',
        '-movflags', '+faststart', '-f', 'mp4', '-y', out], signal)
      if (ran.code !== 0) throw new FaceBlurError('FB_ERR_INTERNAL', `joining the segments failed: ${ran.stderr.slice(-500)}`)
    }
  }
}

export type Ffmpeg = ReturnType<typeof createFfmpeg>
