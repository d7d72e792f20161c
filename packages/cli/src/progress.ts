// The progress line: pure formatting (done/total, rate, ETA), and a small writer that redraws one
// line on a terminal and prints a plain line now and then when stderr is a file or a pipe.

/** `0:07`, `12:34`, `1:02:03`; `--:--` when unknown. */
export function formatDuration (seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/** `1234/s`, `12.3/s`, `0.25/s`. */
export function formatRate (perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0/s'
  if (perSecond >= 100) return `${Math.round(perSecond)}/s`
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`
  return `${perSecond.toFixed(2)}/s`
}

/** Items per second so far, and the seconds left at that rate (NaN while unknown). */
export function estimate (done: number, total: number | undefined, elapsedMs: number): { rate: number, etaS: number } {
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0
  if (total === undefined || rate <= 0) return { rate, etaS: total !== undefined && done >= total ? 0 : Number.NaN }
  return { rate, etaS: Math.max(0, total - done) / rate }
}

export interface ProgressState {
  /** `submit`: walking and uploading; `wait`: everything is submitted, following the tasks. */
  phase: 'submit' | 'wait'
  /** Image files found so far, and whether the walk has finished (the total is final). */
  found: number
  walked: boolean
  /** Files handled: submitted, skipped, or refused before submitting. */
  handled: number
  /** Of those, how many were uploaded in this run (the rate counts only these). */
  submitted: number
  /** With --wait: tasks to follow, and how many finished (ok / failed). */
  following?: { total: number, ok: number, failed: number }
  elapsedMs: number
  /** Elapsed time when the wait phase began (its rate and ETA count from there). */
  waitStartedMs?: number
}

export function progressLine (p: ProgressState): string {
  const total = p.walked ? p.found : undefined
  const totalText = total === undefined ? `${p.found}+` : String(total)
  const f = p.following
  const finished = f === undefined ? '' : `done ${f.ok + f.failed}/${f.total} (ok ${f.ok}, failed ${f.failed})`
  if (p.phase === 'submit') {
    const skipped = p.handled - p.submitted
    // Skipped files take no time: the rate and ETA are for what remains to upload.
    const { rate, etaS } = estimate(p.submitted, total === undefined ? undefined : total - skipped, p.elapsedMs)
    const pct = total === undefined || total === 0 ? '' : ` ${((100 * p.handled) / total).toFixed(1)}%`
    return [`submit ${p.handled}/${totalText}${pct}`, formatRate(rate), `ETA ${formatDuration(etaS)}`, finished].filter((s) => s !== '').join(' · ')
  }
  const since = p.waitStartedMs ?? 0
  const doneNow = f === undefined ? 0 : f.ok + f.failed
  const { rate, etaS } = f === undefined ? { rate: 0, etaS: Number.NaN } : estimate(doneNow, f.total, p.elapsedMs)
  return [`wait ${finished}`, formatRate(rate), `ETA ${formatDuration(etaS)}`, `waiting ${formatDuration((p.elapsedMs - since) / 1000)}`].join(' · ')
}

export interface ProgressStream { write: (text: string) => unknown, isTTY?: boolean }

export interface Progress {
  /** Draws the state if enough time has passed since the last drawing (or `force`). */
  update: (state: ProgressState, force?: boolean) => void
  /** Draws the final state and ends the line. */
  end: (state: ProgressState) => void
}

/**
 * On a terminal: one line redrawn in place (carriage return, clear to end of line) at most every
 * `ttyIntervalMs`. Elsewhere (a log file, CI): a plain line every `plainIntervalMs`.
 */
export function createProgress (stream: ProgressStream, now: () => number, { ttyIntervalMs = 100, plainIntervalMs = 5_000, enabled = true } = {}): Progress {
  const tty = stream.isTTY === true
  let last = Number.NEGATIVE_INFINITY
  let drawn = false
  const interval = tty ? ttyIntervalMs : plainIntervalMs
  const draw = (state: ProgressState): void => {
    last = now()
    const line = progressLine(state)
    if (tty) { stream.write(`\r${line}\x1b[K`); drawn = true } else stream.write(`${line}\n`)
  }
  return {
    update (state, force = false) {
      if (!enabled) return
      if (force || now() - last >= interval) draw(state)
    },
    end (state) {
      if (!enabled) return
      draw(state)
      if (tty && drawn) stream.write('\n')
    }
  }
}
