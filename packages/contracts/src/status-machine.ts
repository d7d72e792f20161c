import type { Stage, TaskState, TaskStatusV1 } from './events/task-status.v1.js'

const STATE_RANK: Record<TaskState, number> = { PENDING: 0, STARTED: 1, SUCCESS: 2, FAILURE: 2 }
const STAGE_RANK: Record<Stage, number> = { gateway: 0, detector: 1, blurrer: 2 }

export const isTerminal = (state: TaskState): boolean => STATE_RANK[state] === 2

/**
 * The task's state after `next` arrives. Transitions are monotonic: a terminal state never
 * changes, and a late or repeated event never moves a task backwards (in state, or in stage
 * while it runs). Returns `current` itself when `next` changes nothing. The owner sticks to the task whatever order events arrive in.
 */
export function advance (current: TaskStatusV1 | undefined, next: TaskStatusV1): TaskStatusV1 {
  if (current === undefined) return next
  const owner = current.owner ?? next.owner
  const keepOwner = (s: TaskStatusV1): TaskStatusV1 => owner === undefined || s.owner === owner ? s : { ...s, owner }
  if (isTerminal(current.status)) return current.owner === undefined && next.owner !== undefined ? keepOwner(current) : current
  const byState = STATE_RANK[next.status] - STATE_RANK[current.status]
  if (byState > 0) return keepOwner(next)
  if (byState === 0 && STAGE_RANK[next.stage] > STAGE_RANK[current.stage]) return keepOwner(next)
  return current.owner === undefined && next.owner !== undefined ? keepOwner(current) : current
}
