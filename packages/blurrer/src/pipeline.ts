import { codecs, resultKey, type ConsumerGroups, type FacesDetectedV1, type Topics } from '@faceblur/contracts'
import { removeOriginal, runStage, statusMessage, type Bus, type Logger, type ObjectStore, type Subscription } from '@faceblur/service-kit'
import { blurFaces, type BlurPolicy } from './blur.js'

export interface BlurrerStageOptions { defaults: BlurPolicy, keepOriginals: boolean, maxPixels: number }

/** The blurrer stage: faces in, blurred image stored under results/{task_id}, `SUCCESS` out. */
export async function startBlurrerStage (deps: { bus: Bus, store: ObjectStore, logger: Logger, options: BlurrerStageOptions, names: { topics: Topics, groups: ConsumerGroups } }): Promise<Subscription> {
  const { bus, store, logger, options, names: { topics, groups } } = deps
  return await runStage<FacesDetectedV1>(bus, logger, {
    stage: 'blurrer',
    topics,
    groupId: groups.blurrer,
    consumes: 'facesDetected',
    codec: codecs.facesDetected,
    accepts: (event) => event.kind === 'blur',
    async process (event, { started }) {
      await started()
      const original = await store.get(event.source.key)
      const policy: BlurPolicy = { ...options.defaults, ...event.options?.blur }
      const blurred = await blurFaces(original, event.faces.map((f) => f.box), policy, options.maxPixels)
      const key = resultKey(event.task_id)
      await store.put(key, blurred.data, blurred.contentType)
      return [statusMessage(topics, {
        task_id: event.task_id,
        kind: 'blur',
        status: 'SUCCESS',
        stage: 'blurrer',
        at: new Date().toISOString(),
        result: {
          kind: 'blur',
          object: { bucket: store.bucket, key, content_type: blurred.contentType, bytes: blurred.data.length },
          faces: event.faces,
          model: event.model
        }
      })]
    },
    // The original goes only after SUCCESS or FAILURE is published: a crash before leaves it for the retry.
    ...(options.keepOriginals ? {} : { afterPublish: async (event: FacesDetectedV1) => { await removeOriginal(store, event.source.key) } })
  })
}
