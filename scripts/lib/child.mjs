// Child processes for the scripts (provisioning, Docker): run (output shown), capture (stdout
// returned) and succeeds (exit status only). None blocks the event loop, so Kafka and MinIO provision
// side by side; every failure names the command. Long-running servers: infra/process.mjs's startDetached.
import { spawn } from 'node:child_process'

function start (command, args, { env = process.env, cwd, input, stdio } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: stdio ?? [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk) => { stdout += chunk })
    child.stderr?.on('data', (chunk) => { stderr += chunk })
    if (input !== undefined) child.stdin.end(input)
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Runs a command with its output on this terminal; rejects when it exits non-zero. */
export async function run (command, args, options = {}) {
  const { code } = await start(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options })
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`)
}

/** Runs a command and returns its stdout; rejects with its stderr when it exits non-zero. */
export async function capture (command, args, options = {}) {
  const { code, stdout, stderr } = await start(command, args, options)
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-2000)}`)
  return stdout
}

/** Whether a command exists and exits 0. */
export async function succeeds (command, args, options = {}) {
  try {
    return (await start(command, args, options)).code === 0
  } catch {
    return false
  }
}
