import type { Stage, TaskState, TaskStatusV1 } from './events/task-status.v1.js'

const STATE_RANK: Record<TaskState, number> = { PENDING: 0, STARTED: 1, SUCCESS: 2, FAILURE: 2 }
const STAGE_RANK: Record<Stage, number> = { gateway: 0, detector: 1, blurrer: 2, video: 3 }

export const isTerminal = (state: TaskState): boolean => STATE_RANK[state] === 2

/**
 * Whether `next` moves a task on from `current`: a terminal state never changes, and a late or
 * repeated event never moves a task backwards (in state, in stage while it runs, or in progress
 * within a stage).
 */
export function supersedes (current: Pick<TaskStatusV1, 'status' | 'stage' | 'progress'>, next: Pick<TaskStatusV1, 'status' | 'stage' | 'progress'>): boolean {
  if (isTerminal(current.status)) return false
  const byState = STATE_RANK[next.status] - STATE_RANK[current.status]
  if (byState !== 0) return byState > 0
  const byStage = STAGE_RANK[next.stage] - STAGE_RANK[current.stage]
  if (byStage !== 0) return byStage > 0
  // Within one stage a long task moves on by its progress.
  return (next.progress?.frames_done ?? -1) > (current.progress?.frames_done ?? -1)
}

/**
 * The task's state after `next` arrives (see `supersedes`). Returns `current` itself when `next`
 * changes nothing. The owner sticks to the task whatever order events arrive in.
 */
export function advance (current: TaskStatusV1 | undefined, next: TaskStatusV1): TaskStatusV1 {
  if (current === undefined) return next
  const owner = current.owner ?? next.owner
  const moved = supersedes(current, next) ? next : current
  return owner === undefined || moved.owner === owner ? moved : { ...moved, owner }
}
