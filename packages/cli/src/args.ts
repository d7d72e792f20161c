// The command line, parsed by node:util parseArgs into one plain object. Pure: no I/O.
import { parseArgs } from 'node:util'
import { BLUR_MODES, BLUR_SHAPES, type ImageTaskKind, type TaskOptions } from '@faceblur/contracts'

export type BlurOptions = NonNullable<TaskOptions['blur']>

export interface SubmitArgs {
  command: 'submit'
  /** The folder to walk, as given. */
  dir: string
  kind: ImageTaskKind
  /** Files read, uploaded and produced at once. */
  concurrency: number
  wait: boolean
  /** Where results go (mirroring `dir`) and where the state file lives; undefined: none. */
  out?: string
  /** The resume state file; undefined: `.faceblur-state.jsonl` in `out`, else in `dir`. */
  state?: string
  blur?: BlurOptions
  retryFailed: boolean
  /** With `wait`: give up after this many seconds; 0 waits as long as it takes. */
  timeoutS: number
  json: boolean
  stats: boolean
  quiet: boolean
}

export type CliArgs = SubmitArgs | { command: 'help' }

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export const USAGE = `usage: faceblur submit <dir> --kind detect|blur [options]

Pushes every image under <dir> (recursively) straight into the FaceBlur pipeline: each one is
put in the bucket as uploads/{task_id} and announced on faceblur.tasks.submitted.

  --kind detect|blur       detect: the faces' boxes; blur: the image with every face blurred
  --concurrency N          files uploaded and produced at once (default 8)
  --wait                   follow faceblur.tasks.status until every task is SUCCESS or FAILURE
  --out DIR                with --wait, write the results there, mirroring <dir>: blurred images
                           under the same names, detections as <name>.json. Holds the state file.
  --mode ${BLUR_MODES.join('|')}, --shape ${BLUR_SHAPES.join('|')}, --padding 0..1
                           blur options (default: the blurrer's configuration)
  --state FILE             resume state (default: .faceblur-state.jsonl in --out, else in <dir>)
  --retry-failed           submit again the files whose task failed in an earlier run
  --timeout SECONDS        with --wait, stop waiting after this long (default: no limit)
  --json                   print the summary as JSON on stdout
  --stats                  add elapsed time and peak memory (RSS) to the summary
  --quiet                  no progress line on stderr
  -h, --help               this text

Finished files are recorded in the state file, so running the same command again skips them and
follows the tasks still running. Kafka, MinIO and the namespace come from the services' variables:
KAFKA_BROKERS, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, FACEBLUR_NAMESPACE, ...
Exit status: 0 when every file succeeded (or was submitted, without --wait), 1 when any failed or
is still unfinished after --timeout, 2 on a usage or configuration error.`


function integer (name: string, raw: string, min: number, max: number): number {
  const n = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${raw}")`)
  return n
}

function oneOf<T extends string> (name: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${raw}")`)
  return raw as T
}

export function parseCli (argv: string[]): CliArgs {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    // parseArgs' own messages ("Unknown option '--x'") are clear; keep them, as usage errors.
    throw new UsageError((err as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help === true) return { command: 'help' }
  const [command, dir, ...extra] = positionals
  if (command === undefined) throw new UsageError('a command is required: faceblur submit <dir> --kind detect|blur')
  if (command === 'help') return { command: 'help' }
  if (command !== 'submit') throw new UsageError(`unknown command "${command}" (the one command is: submit)`)
  if (dir === undefined || dir === '') throw new UsageError('submit needs the folder to walk: faceblur submit <dir> --kind detect|blur')
  if (extra.length > 0) throw new UsageError(`one folder at a time (got also ${extra.map((e) => `"${e}"`).join(', ')})`)
  if (values.kind === undefined) throw new UsageError('--kind detect|blur is required')
  const kind = oneOf('kind', values.kind, ['detect', 'blur'] as const)

  const blur: BlurOptions = {}
  if (values.mode !== undefined) blur.mode = oneOf('mode', values.mode, BLUR_MODES)
  if (values.shape !== undefined) blur.shape = oneOf('shape', values.shape, BLUR_SHAPES)
  if (values.padding !== undefined) {
    const p = Number(values.padding)
    if (values.padding.trim() === '' || !Number.isFinite(p) || p < 0 || p > 1) throw new UsageError(`--padding must be a number from 0 to 1 (got "${values.padding}")`)
    blur.padding = p
  }
  const hasBlur = Object.keys(blur).length > 0
  if (hasBlur && kind !== 'blur') throw new UsageError('--mode, --shape and --padding only apply to --kind blur')

  const args: SubmitArgs = {
    command: 'submit',
    dir,
    kind,
    concurrency: values.concurrency === undefined ? 8 : integer('concurrency', values.concurrency, 1, 1024),
    wait: values.wait === true,
    retryFailed: values['retry-failed'] === true,
    timeoutS: values.timeout === undefined ? 0 : integer('timeout', values.timeout, 0, 10 * 365 * 86_400),
    json: values.json === true,
    stats: values.stats === true,
    quiet: values.quiet === true
  }
  if (values.out !== undefined) {
    if (values.out === '') throw new UsageError('--out needs a folder')
    args.out = values.out
  }
  if (values.state !== undefined) {
    if (values.state === '') throw new UsageError('--state needs a file')
    args.state = values.state
  }
  if (hasBlur) args.blur = blur
  if (values.timeout !== undefined && !args.wait) throw new UsageError('--timeout only applies with --wait')
  return args
}

function parse (argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      kind: { type: 'string' },
      concurrency: { type: 'string' },
      wait: { type: 'boolean' },
      out: { type: 'string' },
      state: { type: 'string' },
      mode: { type: 'string' },
      shape: { type: 'string' },
      padding: { type: 'string' },
      'retry-failed': { type: 'boolean' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      stats: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
}
