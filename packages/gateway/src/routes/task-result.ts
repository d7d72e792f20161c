import { FaceBlurError, isTaskId, resultKey, taskResultResponse, type TaskResultResponse, type TaskStatusV1 } from '@faceblur/contracts'
import parseRange from 'range-parser'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { visibleTo } from '../auth.js'
import { resultImageSchema, taskResultSchema } from '../schemas.js'

/**
 * The task's status, or a coded 400/404: never an eternal PENDING for an id nobody issued. A
 * task another API key created is answered exactly like an unknown one.
 */
export function knownTask (app: FastifyInstance, taskId: string, owner: string | undefined): TaskStatusV1 {
  if (!isTaskId(taskId)) throw new FaceBlurError('FB_ERR_TASK_ID_INVALID', `"${taskId}" is not a task id (a UUID)`)
  const status = app.view.get(taskId)
  if (status === undefined || !visibleTo(status, owner)) throw new FaceBlurError('FB_ERR_TASK_NOT_FOUND', `no task ${taskId} (unknown, or its result expired)`)
  return status
}

/** `GET /task_result/{task_id}`, in the original service's shapes, and `GET /results/{task_id}`. */
export const taskResultRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/task_result/:task_id', { schema: taskResultSchema }, async (request): Promise<TaskResultResponse> => {
    const status = knownTask(app, request.params.task_id, request.owner)
    if (status.status === 'SUCCESS' && status.result?.kind === 'blur') {
      const image = await app.store.get(resultKey(status.task_id))
      return taskResultResponse(status, image.toString('base64'))
    }
    return taskResultResponse(status)
  })

  /**
   * The blurred image or video as bytes with its content type: an addition beside the base64
   * answer. A video streams from the store and takes a single HTTP byte range (players seek with it).
   */
  app.get('/results/:task_id', { schema: resultImageSchema }, async (request, reply) => {
    const status = knownTask(app, request.params.task_id, request.owner)
    if (status.status !== 'SUCCESS' || (status.result?.kind !== 'blur' && status.result?.kind !== 'video')) {
      throw new FaceBlurError('FB_ERR_RESULT_NOT_READY', status.status === 'SUCCESS'
        ? 'detection tasks have no image result; use /task_result'
        : `the task is ${status.status}`)
    }
    // Only ever results/{task_id}, whatever the event said, and never sniffed into something else.
    const key = resultKey(status.task_id)
    void reply.type(status.result.object.content_type).header('x-content-type-options', 'nosniff').header('cache-control', 'private, max-age=3600')
    if (status.result.kind === 'blur') return await reply.send(await app.store.get(key))

    const { bytes } = await app.store.stat(key)
    void reply.header('accept-ranges', 'bytes')
    const header = request.headers.range
    const ranges = header === undefined ? undefined : parseRange(bytes, header, { combine: true })
    if (ranges === -1) {
      void reply.header('content-range', `bytes */${bytes}`)
      throw new FaceBlurError('FB_ERR_RANGE_NOT_SATISFIABLE', `the range "${header?.slice(0, 100)}" is outside the ${bytes} bytes of the result`)
    }
    // A malformed header (-2) or several ranges get the whole video, as RFC 9110 allows.
    if (ranges === undefined || ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) {
      return await reply.header('content-length', bytes).send(await app.store.getRange(key, 0))
    }
    const { start, end } = ranges[0]!
    return await reply.code(206).header('content-range', `bytes ${start}-${end}/${bytes}`).header('content-length', end - start + 1)
      .send(await app.store.getRange(key, start, end - start + 1))
  })
}
