/**
 * Object-key layout in the bucket. Keys derive from the task id alone, so a redelivered event
 * rewrites the same object (idempotent outputs).
 */
export const uploadKey = (taskId: string): string => `uploads/${taskId}`
export const resultKey = (taskId: string): string => `results/${taskId}`

/** Task ids are UUIDs (v4 from the gateway; bulk producers must use the same form). */
export const TASK_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
const taskIdRe = new RegExp(TASK_ID_PATTERN)
export const isTaskId = (value: unknown): value is string => typeof value === 'string' && taskIdRe.test(value)
