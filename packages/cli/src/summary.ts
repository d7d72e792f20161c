// What a run did, as counts and failures, and its text form and exit status. Pure.
import { formatRate } from './progress.js'

export interface Failure {
  /** The file, relative to the input folder (or a folder that could not be read). */
  path: string
  task_id?: string
  code: string
  message: string
  /** True when the task failed in an earlier run and was not submitted again. */
  earlier?: boolean
}

export interface Summary {
  kind: 'detect' | 'blur'
  dir: string
  out?: string
  state: string
  /** Image files found, and other files ignored. */
  found: number
  ignored: number
  /** Uploaded and produced in this run. */
  submitted: number
  /** Submitted in an earlier run, not finished then, and not submitted again (followed with --wait). */
  followed: number
  /** Already finished in an earlier run: succeeded, or failed and not retried (`skippedFailed` of them). */
  skipped: number
  skippedFailed: number
  succeeded: number
  /** Failed in this run: in the pipeline, or refused before submitting. */
  failed: number
  /** Submitted (now or earlier) and not known to be finished. */
  unfinished: number
  failures: Failure[]
  /** Why the run stopped before the end, when it did. */
  stopped?: string
  elapsedMs: number
  stats?: { maxRssBytes: number }
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

export function formatSummary (s: Summary, { wait }: { wait: boolean }): string {
  const lines: string[] = []
  const ignored = s.ignored > 0 ? ` (${plural(s.ignored, 'other file')} ignored)` : ''
  lines.push(`faceblur ${s.kind}: ${plural(s.found, 'image')} under ${s.dir}${ignored}`)
  const skipped = s.skipped === 0
    ? ''
    : `, skipped ${s.skipped} (${s.skipped - s.skippedFailed} done before${s.skippedFailed > 0 ? `, ${s.skippedFailed} failed before: --retry-failed submits them again` : ''})`
  const earlier = s.followed === 0 ? '' : wait ? `, followed ${s.followed} from an earlier run` : `, ${s.followed} submitted by an earlier run`
  lines.push(`  submitted ${s.submitted}${earlier}${skipped}`)
  if (wait) {
    lines.push(`  succeeded ${s.succeeded}, failed ${s.failed}${s.unfinished > 0 ? `, unfinished ${s.unfinished}` : ''}`)
  } else {
    if (s.failed > 0) lines.push(`  failed ${s.failed} before submitting`)
    if (s.unfinished > 0) lines.push(`  ${plural(s.unfinished, 'task')} in the pipeline: run again with --wait${s.out === undefined ? ' --out <dir>' : ''} to follow them`)
  }
  if (s.out !== undefined && wait) lines.push(`  results in ${s.out}`)
  lines.push(`  state in ${s.state}`)
  if (s.stopped !== undefined) lines.push(`  stopped early: ${s.stopped} (run the same command again to resume)`)
  if (s.stats !== undefined) {
    const perS = s.elapsedMs > 0 ? (s.submitted * 1000) / s.elapsedMs : 0
    lines.push(`  stats: ${(s.elapsedMs / 1000).toFixed(2)} s, ${formatRate(perS)} submitted, peak RSS ${(s.stats.maxRssBytes / 2 ** 20).toFixed(1)} MiB`)
  }
  if (s.failures.length > 0) {
    lines.push('failures:')
    for (const f of s.failures) {
      const task = f.task_id === undefined ? '' : ` (task ${f.task_id}${f.earlier === true ? ', an earlier run' : ''})`
      lines.push(`  ${f.path}: ${f.code} ${f.message}${task}`)
    }
  }
  return `${lines.join('\n')}\n`
}

/** 0: all went well; 1: a file failed, the run stopped early, or --wait ended with tasks unfinished. */
export function exitCode (s: Summary, { wait }: { wait: boolean }): number {
  if (s.failures.length > 0 || s.stopped !== undefined) return 1
  if (wait && s.unfinished > 0) return 1
  return 0
}
