import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  FaceBlurError, codecs, workKeys, workPrefix, type ObjectRef, type TaskSubmittedV1, type Topics, type VideoInfo, type VideoSegmentV1
} from '@faceblur/contracts'
import { checkSourceSize, removeOriginal, type ObjectStore, type OutgoingMessage, type StageDefinition } from '@faceblur/service-kit'
import { withScratch, type Ffmpeg } from '@faceblur/media'
import { checkVideo, type VideoLimits } from './limits.js'
import { segmentsFrom, type VideoPlan } from './plan.js'

export interface SplitterOptions {
  limits: VideoLimits
  segmentSeconds: number
  maxBytes: number
  keepOriginals: boolean
}

const SEGMENT_TYPE = 'video/x-matroska'

/**
 * The video stage's first half: a `video` task's upload in, its segments out. It probes the
 * upload, refuses what breaks the limits, cuts it at keyframes without re-encoding, keeps the
 * audio apart, writes the plan, and sends one event per segment to the detectors. The upload is
 * deleted once the segments are out (everything later reads `work/{task_id}/`).
 */
export function splitterStage (deps: { store: ObjectStore, topics: Topics, ffmpeg: Ffmpeg, options: SplitterOptions }): StageDefinition<TaskSubmittedV1> {
  const { store, topics, ffmpeg, options } = deps
  return {
    stage: 'video',
    consumes: 'submitted',
    group: 'videoSplitter',
    codec: codecs.taskSubmitted,
    accepts: (task) => task.kind === 'video',
    announces: true,
    readsSource: false,
    maxSourceBytes: options.maxBytes,
    async process (task, { signal, log }) {
      return await withScratch(async (dir) => {
        const input = join(dir, 'input')
        // The event's size was checked; the object's is checked too before a byte is read (as for images).
        const source = await store.stat(task.source.key).catch(async (err: unknown) => {
          // The event again after its split went out and its upload was deleted (its offset's commit
          // lost to a rebalance): the plan says so. A FAILURE now would end a video still under way.
          if ((err as { code?: string }).code === 'FB_ERR_SOURCE_MISSING' && await store.stat(workKeys.plan(task.task_id)).then(() => true, () => false)) return undefined
          throw err
        })
        if (source === undefined) {
          log.info('video already split (a redelivered event); skipped')
          return {}
        }
        checkSourceSize(source.bytes, options.maxBytes)
        await store.getFile(task.source.key, input)
        const info = await ffmpeg.probe(input, signal)
        const checked = checkVideo(info, options.limits)
        const segmentDir = join(dir, 'segments')
        await mkdir(segmentDir)
        const files = await ffmpeg.split(input, segmentDir, options.segmentSeconds, signal)
        const counts: number[] = []
        for (const file of files) counts.push(await ffmpeg.countFrames(file, signal))
        const segments = segmentsFrom(counts)
        if (segments.length === 0) throw new FaceBlurError('FB_ERR_VIDEO_UNDECODABLE', 'the video has no frames')
        const frames = segments.reduce((n, s) => n + s.frames, 0)
        const video: VideoInfo = {
          width: checked.width, height: checked.height, fps: checked.fps, frames, duration_s: checked.duration_s, rotation: checked.rotation as VideoInfo['rotation']
        }

        const keepAudio = task.options?.video?.keep_audio ?? true
        const audio = keepAudio && info.audio !== undefined ? info.audio : undefined
        if (audio !== undefined) {
          const path = join(dir, 'audio.mka')
          await ffmpeg.extractAudio(input, path, signal)
          await store.putFile(workKeys.audio(task.task_id), path, 'audio/x-matroska')
        }
        const refs: ObjectRef[] = []
        for (const [index, s] of segments.entries()) {
          const key = workKeys.segment(task.task_id, index)
          const path = files[s.file]!
          await store.putFile(key, path, SEGMENT_TYPE)
          refs.push({ bucket: store.bucket, key, content_type: SEGMENT_TYPE, bytes: (await stat(path)).size })
        }
        const plan: VideoPlan = { video, segments: segments.map(({ first_frame: f, frames: n }) => ({ first_frame: f, frames: n })), ...(audio === undefined ? {} : { audio: { codec: audio.codec } }) }
        await store.put(workKeys.plan(task.task_id), Buffer.from(JSON.stringify(plan)), 'application/json')
        log.info({ segments: segments.length, frames, video, audio: audio?.codec ?? null }, 'video split')

        const outputs: OutgoingMessage[] = segments.map((s, index) => {
          const event: VideoSegmentV1 = {
            task_id: task.task_id,
            kind: 'video',
            source: refs[index]!,
            segment: { index, count: segments.length, first_frame: s.first_frame, frames: s.frames },
            context: { ...(index > 0 ? { before: refs[index - 1]! } : {}), ...(index + 1 < refs.length ? { after: refs[index + 1]! } : {}) },
            video,
            ...(task.options === undefined ? {} : { options: task.options }),
            ...(task.owner === undefined ? {} : { owner: task.owner })
          }
          // Keyed by segment: one video's segments spread over every partition, and so every detector.
          return { topic: topics.videoSegments, key: `${task.task_id}/${index}`, value: codecs.videoSegment.encode(event) }
        })
        return { outputs, progress: { frames_done: 0, frames_total: frames } }
      })
    },
    // The upload goes once the segments (or the FAILURE) are out; a failed split leaves no work behind.
    afterPublish: async (task, { failed }) => {
      if (failed) await store.removePrefix(workPrefix(task.task_id))
      if (!options.keepOriginals) await removeOriginal(store, task.source.key)
    }
  }
}
