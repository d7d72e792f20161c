import { codecs, type TaskSubmittedV1, type Topics } from '@faceblur/contracts'
import { removeOriginal, type ObjectStore, type StageDefinition } from '@faceblur/service-kit'
import type { Detector } from './detector.js'

/**
 * The detector stage: a submitted task in, faces out. A detect task ends here with its result; a
 * blur task's faces go on to the blurrer. The kernel does the rest (statuses, trust, retries).
 */
export function detectorStage (deps: { store: ObjectStore, detector: Detector, topics: Topics, keepOriginals: boolean, concurrency: number }): StageDefinition<TaskSubmittedV1> {
  const { store, detector, topics, keepOriginals, concurrency } = deps
  return {
    stage: 'detector',
    consumes: 'submitted',
    group: 'detector',
    codec: codecs.taskSubmitted,
    // Videos go to the video stage, which cuts them into segments (see video-stage.ts).
    accepts: (task) => task.kind !== 'video',
    // Bulk producers write `submitted` only; the detector announces their tasks.
    announces: true,
    // Several partitions at once: decoding (sharp, libuv threads) overlaps the serialized model runs.
    partitionsConcurrently: concurrency,
    async process (task, { source, signal, log }) {
      const t0 = performance.now()
      const { image, faces, views } = await detector.detect(source, signal)
      log.debug({ faces: faces.length, views, ms: Math.round(performance.now() - t0) }, 'detected')
      if (task.kind === 'detect') return { result: { kind: 'detect', image, faces, model: detector.model } }
      return {
        outputs: [{
          topic: topics.facesDetected,
          key: task.task_id,
          value: codecs.facesDetected.encode({
            task_id: task.task_id,
            kind: task.kind,
            source: task.source,
            ...(task.options === undefined ? {} : { options: task.options }),
            image,
            faces,
            model: detector.model,
            detected_at: new Date().toISOString(),
            ...(task.owner === undefined ? {} : { owner: task.owner })
          })
        }]
      }
    },
    // A task that ends here (a detection, or any failure) has its upload deleted once its final
    // status is out; a blur's original stays for the blurrer.
    afterPublish: async (task, { failed }) => {
      if ((task.kind === 'detect' || failed) && !keepOriginals) await removeOriginal(store, task.source.key)
    }
  }
}
