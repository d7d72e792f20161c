import t from 'tap'
import { parseCli, UsageError } from '../src/args.js'

t.test('submit with defaults', async (t) => {
  t.same(parseCli(['submit', 'photos', '--kind', 'detect']), {
    command: 'submit', dir: 'photos', kind: 'detect', concurrency: 8, wait: false, retryFailed: false, timeoutS: 0, json: false, stats: false, quiet: false
  })
})

t.test('every option', async (t) => {
  t.same(parseCli(['submit', '--kind=blur', 'in', '--concurrency', '32', '--wait', '--out', 'out', '--mode', 'pixelate', '--shape', 'rectangle',
    '--padding', '0.5', '--state', 's.jsonl', '--retry-failed', '--timeout', '60', '--json', '--stats', '--quiet']), {
    command: 'submit',
    dir: 'in',
    kind: 'blur',
    concurrency: 32,
    wait: true,
    out: 'out',
    state: 's.jsonl',
    blur: { mode: 'pixelate', shape: 'rectangle', padding: 0.5 },
    retryFailed: true,
    timeoutS: 60,
    json: true,
    stats: true,
    quiet: true
  })
  t.same(parseCli(['submit', 'in', '--kind', 'blur', '--padding', '0']).command === 'submit' && (parseCli(['submit', 'in', '--kind', 'blur', '--padding', '0']) as { blur?: unknown }).blur, { padding: 0 })
})

t.test('help', async (t) => {
  t.same(parseCli(['--help']), { command: 'help' })
  t.same(parseCli(['-h']), { command: 'help' })
  t.same(parseCli(['help']), { command: 'help' })
  t.same(parseCli(['submit', 'x', '--help']), { command: 'help' })
})

t.test('mistakes are usage errors that say what is wrong', async (t) => {
  const bad: Array<[string[], RegExp]> = [
    [[], /command is required/],
    [['push', 'x'], /unknown command "push"/],
    [['submit', '--kind', 'detect'], /needs the folder/],
    [['submit', 'a', 'b', '--kind', 'detect'], /one folder at a time/],
    [['submit', 'x'], /--kind detect\|blur is required/],
    [['submit', 'x', '--kind', 'scan'], /--kind must be one of detect, blur/],
    [['submit', 'x', '--kind', 'detect', '--concurrency', '0'], /--concurrency must be an integer from 1/],
    [['submit', 'x', '--kind', 'detect', '--concurrency', '2.5'], /--concurrency/],
    [['submit', 'x', '--kind', 'detect', '--concurrency', 'many'], /--concurrency/],
    [['submit', 'x', '--kind', 'blur', '--mode', 'swirl'], /--mode must be one of gaussian, pixelate, solid/],
    [['submit', 'x', '--kind', 'blur', '--shape', 'star'], /--shape/],
    [['submit', 'x', '--kind', 'blur', '--padding', '1.5'], /--padding must be a number from 0 to 1/],
    [['submit', 'x', '--kind', 'blur', '--padding', ''], /--padding/],
    [['submit', 'x', '--kind', 'detect', '--mode', 'solid'], /only apply to --kind blur/],
    [['submit', 'x', '--kind', 'detect', '--timeout', '5'], /--timeout only applies with --wait/],
    [['submit', 'x', '--kind', 'detect', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['submit', 'x', '--kind'], /argument missing/]
  ]
  for (const [argv, message] of bad) t.throws(() => parseCli(argv), { name: 'UsageError', message }, argv.join(' '))
  t.type(new UsageError('x'), Error)
})
