import { codecs, imageFormatOf, resultKey, type FacesDetectedV1 } from '@faceblur/contracts'
import { removeOriginal, type ObjectStore, type StageDefinition } from '@faceblur/service-kit'
import { blurFaces, type BlurPolicy, type EncodeEffort } from './blur.js'

export interface BlurrerStageOptions { defaults: BlurPolicy, keepOriginals: boolean, maxPixels: number, effort: EncodeEffort }

/** The blurrer stage: faces in, blurred image stored under results/{task_id}, the task's result out. */
export function blurrerStage (deps: { store: ObjectStore, options: BlurrerStageOptions }): StageDefinition<FacesDetectedV1> {
  const { store, options } = deps
  return {
    stage: 'blurrer',
    consumes: 'facesDetected',
    group: 'blurrer',
    codec: codecs.facesDetected,
    accepts: (event) => event.kind === 'blur',
    // The detector started the task: a second STARTED would change nothing a client sees, and cost
    // a Kafka message on every blur.
    startsTask: false,
    async process (event, { source }) {
      const policy: BlurPolicy = { ...options.defaults, ...event.options?.blur }
      const blurred = await blurFaces(source, imageFormatOf(event.source.content_type), event.faces.map((f) => f.box), policy, options.maxPixels, options.effort)
      const key = resultKey(event.task_id)
      await store.put(key, blurred.data, blurred.contentType)
      return {
        result: {
          kind: 'blur',
          object: { bucket: store.bucket, key, content_type: blurred.contentType, bytes: blurred.data.length },
          faces: event.faces,
          model: event.model
        }
      }
    },
    // The original goes only after SUCCESS or FAILURE is published: a crash before leaves it for the retry.
    ...(options.keepOriginals ? {} : { afterPublish: async (event: FacesDetectedV1) => { await removeOriginal(store, event.source.key) } })
  }
}
