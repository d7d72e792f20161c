/**
 * Object-key layout in the bucket. Keys derive from the task id alone, so a redelivered event
 * rewrites the same object (idempotent outputs).
 */
export const uploadKey = (taskId: string): string => `uploads/${taskId}`
export const resultKey = (taskId: string): string => `results/${taskId}`

/**
 * A video task's intermediate objects, all under one prefix deleted when the task ends: the plan,
 * the audio, the cut segments, the encoded segments, and the joiner's note of each one done.
 */
export const workPrefix = (taskId: string): string => `work/${taskId}/`
const segmentName = (index: number): string => String(index).padStart(5, '0')
export const workKeys = {
  plan: (taskId: string): string => `${workPrefix(taskId)}plan.json`,
  audio: (taskId: string): string => `${workPrefix(taskId)}audio.mka`,
  segment: (taskId: string, index: number): string => `${workPrefix(taskId)}segments/${segmentName(index)}.mkv`,
  encoded: (taskId: string, index: number): string => `${workPrefix(taskId)}encoded/${segmentName(index)}.mp4`,
  done: (taskId: string, index: number): string => `${workPrefix(taskId)}done/${segmentName(index)}.json`,
  donePrefix: (taskId: string): string => `${workPrefix(taskId)}done/`
}

/** Task ids are UUIDs (v4 from the gateway; bulk producers must use the same form). */
export const TASK_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
const taskIdRe = new RegExp(TASK_ID_PATTERN)
export const isTaskId = (value: unknown): value is string => typeof value === 'string' && taskIdRe.test(value)
