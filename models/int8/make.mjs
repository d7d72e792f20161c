#!/usr/bin/env node
// Makes the INT8 YOLOv8-face model once and prints its path (`npm run -s model:int8`).
// The fp32 weights come from models/fetch.mjs; models/int8/quantize.py quantizes them with
// onnxruntime's own tools, calibrated on the project's real photos, in a Python virtual environment
// built from requirements.txt (PyPI). Both the environment and the model are cached; the model's
// name carries a hash of everything it depends on (recipe, pins, photos), so a change makes a new one.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

const here = import.meta.dirname
const repo = join(here, '..', '..')
const cache = process.env.FACEBLUR_CACHE_DIR ?? join(homedir(), '.cache', 'faceblur')
const log = (msg) => process.stderr.write(`[model:int8] ${msg}\n`)
const sha = (...parts) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex').slice(0, 12)

const { FACEBLUR_MODEL_PATH: _, ...env } = process.env // the fp32 model, whatever the shell points at
const fp32 = execFileSync(process.execPath, [join(repo, 'models', 'fetch.mjs')], { env, stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim()
const photos = [join(repo, '..', 'shared', 'fixtures', 'seed_test.jpg'), join(repo, 'e2e', 'fixtures', 'astronaut.png')]
const script = join(here, 'quantize.py')
const requirements = readFileSync(join(here, 'requirements.txt'))
const recipe = sha(readFileSync(script), requirements, ...photos.map((p) => readFileSync(p)))
const manifest = JSON.parse(readFileSync(join(repo, 'models', 'manifest.json'), 'utf8'))
const out = join(cache, 'models', `${manifest.sha256.slice(0, 12)}-${manifest.name}.int8-${recipe}.onnx`)

if (!existsSync(out)) {
  const venv = join(cache, 'tools', `quantize-venv-${sha(requirements)}`)
  const python = join(venv, 'bin', 'python')
  if (!existsSync(join(venv, '.complete'))) {
    log(`installing the quantizer's Python packages (requirements.txt) into ${venv}; once`)
    rmSync(venv, { recursive: true, force: true })
    execFileSync('python3', ['-m', 'venv', venv], { stdio: ['ignore', 'ignore', 'inherit'] })
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', join(here, 'requirements.txt')], { stdio: ['ignore', 'ignore', 'inherit'] })
    writeFileSync(join(venv, '.complete'), '')
  }
  log(`quantizing ${fp32} to INT8, calibrated on ${photos.length} photos at the detector's scales`)
  mkdirSync(join(cache, 'models'), { recursive: true })
  const tmp = `${out}.${process.pid}.tmp`
  try {
    // quantize.py's own warnings (onnxruntime's advice) are noise here; its errors still show.
    execFileSync(python, ['-W', 'ignore', script, fp32, tmp, ...photos], { stdio: ['ignore', 'ignore', 'inherit'] })
    renameSync(tmp, out) // atomic: a concurrent reader never sees half a file
  } finally {
    rmSync(tmp, { force: true })
    rmSync(`${tmp}.pre.onnx`, { force: true })
  }
}
process.stdout.write(`${out}\n`)
