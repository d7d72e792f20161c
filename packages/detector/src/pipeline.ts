import { codecs, type ConsumerGroups, type TaskSubmittedV1, type Topics } from '@faceblur/contracts'
import { removeOriginal, runStage, statusMessage, type Bus, type Logger, type ObjectStore, type Subscription } from '@faceblur/service-kit'
import type { Detector } from './detector.js'

/**
 * The detector stage: a submitted task in, faces out. A detect task ends here with `SUCCESS`;
 * a blur task's faces go on to the blurrer.
 */
export async function startDetectorStage (deps: { bus: Bus, store: ObjectStore, detector: Detector, logger: Logger, keepOriginals: boolean, concurrency: number, names: { topics: Topics, groups: ConsumerGroups } }): Promise<Subscription> {
  const { bus, store, detector, logger, keepOriginals, concurrency, names: { topics, groups } } = deps
  return await runStage<TaskSubmittedV1>(bus, logger, {
    stage: 'detector',
    topics,
    groupId: groups.detector,
    consumes: 'submitted',
    // Several partitions at once: decoding (sharp, libuv threads) overlaps the serialized model runs.
    partitionsConcurrently: concurrency,
    codec: codecs.taskSubmitted,
    async process (task, { started, log }) {
      await started()
      const image = await store.get(task.source.key)
      const t0 = performance.now()
      const { image: size, faces, views } = await detector.detect(image)
      log.debug({ faces: faces.length, views, ms: Math.round(performance.now() - t0) }, 'detected')
      if (task.kind === 'detect') {
        return [statusMessage(topics, {
          task_id: task.task_id,
          kind: 'detect',
          status: 'SUCCESS',
          stage: 'detector',
          at: new Date().toISOString(),
          result: { kind: 'detect', image: size, faces, model: detector.model }
        })]
      }
      return [{
        topic: topics.facesDetected,
        key: task.task_id,
        value: codecs.facesDetected.encode({
          task_id: task.task_id,
          kind: task.kind,
          source: task.source,
          ...(task.options === undefined ? {} : { options: task.options }),
          image: size,
          faces,
          model: detector.model,
          detected_at: new Date().toISOString()
        })
      }]
    },
    // A task that ends here (a detection, or any failure) has its upload deleted once its final
    // status is out; a blur's original stays for the blurrer.
    afterPublish: async (task, { failed }) => {
      if ((task.kind === 'detect' || failed) && !keepOriginals) await removeOriginal(store, task.source.key)
    }
  })
}
