import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { codecs, workKeys, workPrefix, type VideoEncodedV1, type VideoFacesV1, type Topics } from '@faceblur/contracts'
import type { ObjectStore, StageDefinition } from '@faceblur/service-kit'
import { carryBoxes, countFaces, withScratch, type Ffmpeg } from '@faceblur/media'
import { blurFrame, type BlurPolicy } from './blur.js'

export interface BlurrerVideoOptions {
  defaults: BlurPolicy
  /** Frames each way a face's box is carried (see carryBoxes). */
  window: number
  /** x264 preset and constant rate factor of the encoded segments. */
  preset: string
  crf: number
  maxBytes: number
}

/**
 * The blurrer's video stage: one segment and the boxes of its frames in, the segment blurred and
 * encoded (H.264) under `work/{task_id}/encoded/` out, announced to the joiner. Frames stream from
 * one FFmpeg through the blur into another, so memory holds a frame or two whatever the length.
 */
export function blurrerVideoStage (deps: { store: ObjectStore, topics: Topics, ffmpeg: Ffmpeg, options: BlurrerVideoOptions }): StageDefinition<VideoFacesV1> {
  const { store, topics, ffmpeg, options } = deps
  return {
    stage: 'blurrer',
    consumes: 'videoFaces',
    group: 'videoBlurrer',
    codec: codecs.videoFaces,
    startsTask: false,
    readsSource: false,
    sourcePlace: 'work',
    maxSourceBytes: options.maxBytes,
    async process (event, { signal, log }) {
      const policy: BlurPolicy = { ...options.defaults, ...event.options?.blur }
      const { width, height, rotation, fps } = event.video
      const { before, after } = event.context_frames
      const own = event.frames.length - before - after
      const boxes = carryBoxes(event.frames, before, own, options.window, { width, height })
      return await withScratch(async (dir) => {
        const t0 = performance.now()
        const input = join(dir, 'segment.mkv')
        const output = join(dir, 'encoded.mp4')
        await store.getFile(event.source.key, input)
        const encoder = ffmpeg.encoder(output, { width, height, fps, preset: options.preset, crf: options.crf })
        let n = 0
        try {
          for await (const frame of ffmpeg.frames(input, { width, height, rotation }, signal)) {
            // Should the decoder ever yield more frames than were detected, the last boxes hold.
            await blurFrame(frame, width, height, boxes[Math.min(n, boxes.length - 1)] ?? [], policy)
            await encoder.write(frame)
            n++
          }
          await encoder.end()
        } catch (err) {
          encoder.abort()
          throw err
        }
        const key = workKeys.encoded(event.task_id, event.segment.index)
        await store.putFile(key, output, 'video/mp4')
        const { size } = await stat(output)
        log.debug({ segment: event.segment.index, frames: n, ms: Math.round(performance.now() - t0) }, 'segment blurred')
        const encoded: VideoEncodedV1 = {
          task_id: event.task_id,
          kind: 'video',
          source: { bucket: store.bucket, key, content_type: 'video/mp4', bytes: size },
          segment: event.segment,
          faces: countFaces(event.frames.slice(before, before + own)),
          model: event.model,
          ...(event.options === undefined ? {} : { options: event.options }),
          ...(event.owner === undefined ? {} : { owner: event.owner }),
          encoded_at: new Date().toISOString()
        }
        // Keyed by task: one joiner sees all of a video's segments, in order.
        return { outputs: [{ topic: topics.videoEncoded, key: event.task_id, value: codecs.videoEncoded.encode(encoded) }] }
      })
    },
    afterPublish: async (event, { failed }) => { if (failed) await store.removePrefix(workPrefix(event.task_id)) }
  }
}
