// The one way a status event is written: the stage kernel (PENDING for bulk producers' tasks, STARTED,
// SUCCESS, FAILURE), the gateway's submit route (PENDING), its restatements and its expiry all build
// their events here, keyed by task id so one task's events stay in order on one partition.
import { codecs, type TaskStatusV1, type Topics } from '@faceblur/contracts'
import type { OutgoingMessage } from './bus.js'

/** Set by the gateway on the `submitted` events it produces after publishing their `PENDING`. */
export const ANNOUNCED_HEADER = 'faceblur-announced'

/** The message that publishes `status` on the status topic. */
export const statusMessage = (topics: Topics, status: TaskStatusV1): OutgoingMessage =>
  ({ topic: topics.status, key: status.task_id, value: codecs.taskStatus.encode(status) })
