import type { ChildProcess } from 'node:child_process'

export const SERVICES: readonly ['gateway', 'detector', 'blurrer', 'video']

export interface StartOptions {
  env?: Record<string, string>
  readyLine?: string
  onLine?: (line: string) => void
  stdio?: 'pipe' | 'inherit'
  timeoutMs?: number
}

export interface StartedService {
  name: string
  child: ChildProcess
  started: Promise<ChildProcess>
  stop: () => Promise<number | null>
}

export function startService (name: string, options?: StartOptions): StartedService
export function stopChild (child: ChildProcess, graceMs?: number): Promise<number | null>
