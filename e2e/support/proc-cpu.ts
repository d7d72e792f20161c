// CPU time of processes from /proc (Linux), for benchmarks that say where the time went.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** User + system CPU milliseconds `pid` has used so far (all its threads), or NaN when it is gone. */
export function cpuMs (pid: number): number {
  try {
    // Fields after the command name, which is in parentheses and may contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1000 / TICKS_PER_S // utime, stime
  } catch {
    return NaN
  }
}

/** CPU milliseconds each named process spends between `start()` and `stop()`. */
export function cpuMeter (pids: Record<string, number | undefined>): { stop: () => Record<string, number> } {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid === undefined ? NaN : cpuMs(pid)]))
  return {
    stop: () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, (pid === undefined ? NaN : cpuMs(pid)) - before[name]!]))
  }
}
