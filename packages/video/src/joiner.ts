import { join } from 'node:path'
import { stat } from 'node:fs/promises'
import {
  VIDEO_RESULT_CONTENT_TYPE, codecs, resultKey, workKeys, workPrefix, type VideoEncodedV1, type VideoFaceCounts
} from '@faceblur/contracts'
import type { ObjectStore, StageDefinition } from '@faceblur/service-kit'
import { fpsValue, mergeCounts, withScratch, type Ffmpeg } from '@faceblur/media'
import { framesDone, parsePlan, type VideoPlan } from './plan.js'

/** What the joiner notes for each segment done (`work/{task_id}/done/{index}.json`). */
interface Done { frames: number, faces: VideoFaceCounts }

const indexOf = (key: string): number => Number(/(\d+)\.json$/.exec(key)?.[1] ?? NaN)

/**
 * The video stage's second half: encoded segments in, one MP4 out. Each segment done is noted in
 * the bucket (so a restarted joiner, or another one, knows what is done) and reported as progress;
 * the last one joins them with the audio into `results/{task_id}` and ends the task. A segment of
 * a task that already ended (its plan gone) is skipped.
 */
export function joinerStage (deps: { store: ObjectStore, ffmpeg: Ffmpeg, maxBytes: number }): StageDefinition<VideoEncodedV1> {
  const { store, ffmpeg } = deps
  const joined = new WeakSet<VideoEncodedV1>()
  return {
    stage: 'video',
    consumes: 'videoEncoded',
    group: 'videoJoiner',
    codec: codecs.videoEncoded,
    startsTask: false,
    readsSource: false,
    sourcePlace: 'work',
    maxSourceBytes: deps.maxBytes,
    async process (event, { signal, log }) {
      const id = event.task_id
      let plan: VideoPlan
      try {
        plan = parsePlan(await store.get(workKeys.plan(id)))
      } catch (err) {
        if ((err as { code?: string }).code === 'FB_ERR_SOURCE_MISSING') {
          log.info({ segment: event.segment.index }, 'segment of a task already ended; skipped')
          return {}
        }
        throw err
      }
      const note: Done = { frames: event.segment.frames, faces: event.faces }
      await store.put(workKeys.done(id, event.segment.index), Buffer.from(JSON.stringify(note)), 'application/json')
      const done = (await store.list(workKeys.donePrefix(id))).map(indexOf).filter((i) => Number.isInteger(i))
      const total = plan.video.frames
      if (done.length < plan.segments.length) return { progress: { frames_done: framesDone(plan, done), frames_total: total } }

      return await withScratch(async (dir) => {
        const segments: string[] = []
        let faces: VideoFaceCounts = { frames_with_faces: 0, max_in_a_frame: 0 }
        for (let i = 0; i < plan.segments.length; i++) {
          const path = join(dir, `${String(i).padStart(5, '0')}.mp4`)
          await store.getFile(workKeys.encoded(id, i), path)
          segments.push(path)
          faces = mergeCounts(faces, (JSON.parse((await store.get(workKeys.done(id, i))).toString()) as Done).faces)
        }
        let audio
        if (plan.audio !== undefined) {
          audio = { path: join(dir, 'audio.mka'), codec: plan.audio.codec }
          await store.getFile(workKeys.audio(id), audio.path)
        }
        const out = join(dir, 'result.mp4')
        await ffmpeg.join(segments, audio, out, dir, signal)
        const frames = await ffmpeg.countFrames(out, signal)
        const bytes = (await stat(out)).size
        await store.putFile(resultKey(id), out, VIDEO_RESULT_CONTENT_TYPE)
        joined.add(event)
        log.info({ frames, bytes, segments: segments.length }, 'video joined')
        return {
          result: {
            kind: 'video',
            object: { bucket: store.bucket, key: resultKey(id), content_type: VIDEO_RESULT_CONTENT_TYPE, bytes },
            frames,
            duration_s: Math.round(frames / fpsValue(plan.video.fps) * 1000) / 1000,
            faces,
            model: event.model
          }
        }
      })
    },
    // Once SUCCESS (or a FAILURE) is out, the task's work objects go.
    afterPublish: async (event, { failed }) => {
      if (failed || joined.has(event)) await store.removePrefix(workPrefix(event.task_id))
    }
  }
}
