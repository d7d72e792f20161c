import { join } from 'node:path'
import { codecs, workPrefix, type Box, type Topics, type VideoFacesV1, type VideoSegmentV1 } from '@faceblur/contracts'
import type { ObjectStore, StageDefinition } from '@faceblur/service-kit'
import { withScratch, type Ffmpeg, type FrameFormat } from '@faceblur/media'
import type { Detector } from './detector.js'

/**
 * The detector's video stage: one segment in, the boxes of each of its frames out (to the
 * blurrers). It also detects the last `window` frames of the segment before and the first of the
 * segment after, so the blurrer can carry a face's box across the cut.
 */
export function detectorVideoStage (deps: { store: ObjectStore, detector: Detector, topics: Topics, ffmpeg: Ffmpeg, window: number, maxBytes: number }): StageDefinition<VideoSegmentV1> {
  const { store, detector, topics, ffmpeg, window } = deps
  return {
    stage: 'detector',
    consumes: 'videoSegments',
    group: 'videoDetector',
    codec: codecs.videoSegment,
    startsTask: false,
    readsSource: false,
    sourcePlace: 'work',
    maxSourceBytes: deps.maxBytes,
    async process (segment, { signal, log }) {
      const { width, height, rotation } = segment.video
      // Frames come decoded at the scale the detector would shrink them to; boxes go back to full size.
      const scale = detector.frameScale(width, height)
      const format: FrameFormat = { width: Math.max(2, Math.round(width * scale)), height: Math.max(2, Math.round(height * scale)), rotation }
      const boxesOf = async (rgb: Buffer): Promise<Box[]> => (await detector.detectFrame({ rgb, width: format.width, height: format.height }, signal))
        .faces.map((f) => toFullSize(f.box, format.width / width, format.height / height, width, height))
      return await withScratch(async (dir) => {
        const t0 = performance.now()
        const fetch = async (key: string, name: string): Promise<string> => {
          const path = join(dir, name)
          await store.getFile(key, path)
          return path
        }
        const frames: Box[][] = []
        // `lanes` frames in flight keep every inference worker busy; boxes stay in frame order.
        const detectAll = async (source: AsyncIterable<Buffer> | Iterable<Buffer>, limit = Infinity): Promise<number> => {
          const pending: Array<Promise<Box[]>> = []
          let taken = 0
          for await (const frame of source) {
            const boxes = boxesOf(frame)
            boxes.catch(() => {}) // awaited below, in order; this keeps a failure behind it from going unhandled
            pending.push(boxes)
            if (pending.length >= detector.lanes) frames.push(await pending.shift()!)
            if (++taken >= limit) break
          }
          for (const boxes of pending) frames.push(await boxes)
          return taken
        }
        let before = 0
        if (window > 0 && segment.context.before !== undefined) {
          // Only the last `window` frames of the segment before are kept (and detected).
          const tail: Buffer[] = []
          for await (const frame of ffmpeg.frames(await fetch(segment.context.before.key, 'before.mkv'), format, signal)) {
            tail.push(frame)
            if (tail.length > window) tail.shift()
          }
          before = await detectAll(tail)
        }
        const own = await detectAll(ffmpeg.frames(await fetch(segment.source.key, 'segment.mkv'), format, signal))
        let after = 0
        if (window > 0 && segment.context.after !== undefined) {
          after = await detectAll(ffmpeg.frames(await fetch(segment.context.after.key, 'after.mkv'), format, signal), window)
        }
        log.debug({ segment: segment.segment.index, frames: own, before, after, ms: Math.round(performance.now() - t0) }, 'segment detected')
        const event: VideoFacesV1 = {
          ...segment,
          frames,
          context_frames: { before, after },
          model: detector.model,
          detected_at: new Date().toISOString()
        }
        return { outputs: [{ topic: topics.videoFaces, key: `${segment.task_id}/${segment.segment.index}`, value: codecs.videoFaces.encode(event) }] }
      })
    },
    // A failed segment fails the video: its work objects go, and the other segments then find nothing to do.
    afterPublish: async (segment, { failed }) => { if (failed) await store.removePrefix(workPrefix(segment.task_id)) }
  }
}

/** A box found on a scaled frame, in the full frame's pixels, rounded outwards (never smaller). */
export function toFullSize ([x1, y1, x2, y2]: Box, sx: number, sy: number, width: number, height: number): Box {
  if (sx === 1 && sy === 1) return [x1, y1, x2, y2]
  return [
    Math.max(0, Math.floor(x1 / sx)), Math.max(0, Math.floor(y1 / sy)),
    Math.min(width, Math.ceil(x2 / sx)), Math.min(height, Math.ceil(y2 / sy))
  ]
}
