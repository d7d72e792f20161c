#!/usr/bin/env node
// Checks docker-compose.yml and the services' Dockerfiles against the services' own config
// schemas, without a Docker engine:
//   - every environment variable compose gives gateway, detector, blurrer, video and init, and every ENV
//     a Dockerfile sets, is one that service's schema reads (a typo would be silently ignored);
//   - every `build.dockerfile` exists;
//   - with the `docker compose` client installed, `docker compose config` accepts the file alone and
//     with docker-compose.gpu.yml and with docker-compose.cluster.yml (schema, interpolation, references
//     between services).
// The schemas come from the built packages: run `npm run build` (or `npm start`/`npm test`) first.
//
//   node scripts/check-docker.mjs
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const problems = []
let checks = 0
const check = (ok, message) => { checks++; if (!ok) problems.push(message) }

// ---- the compose file: environment names per service, and build files ------------------------
// A reader for the part of YAML that docker-compose.yml uses for these keys: block mappings,
// `<<: *anchor` merges, `key: *anchor` aliases, and block scalars (`|`), which are skipped.
function composeFacts (text) {
  const anchors = {} // anchor name -> env names
  const env = {} // service -> Set of env names
  const dockerfiles = {} // service -> dockerfile path
  const stack = [] // [{ indent, key, anchor? }]
  let skipAbove = -1 // inside a block scalar: skip lines indented more than this
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '')
    if (line.trim() === '' || line.trim().startsWith('#')) continue
    const indent = line.length - line.trimStart().length
    if (skipAbove >= 0) {
      if (indent > skipAbove) continue
      skipAbove = -1
    }
    if (/(^|[:-])\s*[|>][-+0-9]*$/.test(line.trim())) skipAbove = indent
    const m = /^(\s*)([A-Za-z0-9_.<][^:]*?):(?:\s+(.*))?$/.exec(line)
    if (m === null) continue
    const [, , key, value = ''] = m
    while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop()
    const path = stack.map((s) => s.key)
    const anchor = /^&([\w-]+)/.exec(value)?.[1]
    stack.push({ indent, key, anchor })
    // an anchored mapping: its keys are env names to merge elsewhere
    const anchoredParent = stack.slice(0, -1).findLast((s) => s.anchor !== undefined)
    if (anchoredParent !== undefined && path.length === 1 && key !== '<<') (anchors[anchoredParent.anchor] ??= []).push(key)
    if (path[0] !== 'services') continue
    const service = path[1]
    if (path.length === 2 && key === 'environment' && value.startsWith('*')) {
      env[service] = new Set(anchors[value.slice(1)] ?? [])
    } else if (path.length === 3 && path[2] === 'environment') {
      env[service] ??= new Set()
      if (key === '<<') for (const name of anchors[value.replace(/^\*/, '')] ?? []) env[service].add(name)
      else env[service].add(key)
    } else if (path.length === 3 && path[2] === 'build' && key === 'dockerfile') {
      dockerfiles[service] = value.replace(/^["']|["']$/g, '')
    }
  }
  return { env, dockerfiles }
}

const compose = composeFacts(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'))

// ---- the schemas --------------------------------------------------------------------------------
async function load (path) {
  const file = join(repo, path)
  if (!existsSync(file)) {
    console.error(`check-docker: ${path} is missing; build first (npm run build)`)
    process.exit(2)
  }
  return await import(pathToFileURL(file).href)
}
const { SharedEnv } = await load('packages/service-kit/dist/env-config.js')
const schemas = {
  init: SharedEnv, // runs service-kit's provisioning with the shared settings
  gateway: (await load('packages/gateway/dist/config.js')).GatewayEnv,
  detector: (await load('packages/detector/dist/config.js')).DetectorEnv,
  blurrer: (await load('packages/blurrer/dist/config.js')).BlurrerEnv,
  video: (await load('packages/video/dist/config.js')).VideoEnv
}

for (const [service, schema] of Object.entries(schemas)) {
  const names = compose.env[service]
  check(names !== undefined && names.size > 0, `docker-compose.yml: no environment found for ${service}`)
  for (const name of names ?? []) {
    check(name in schema, `docker-compose.yml: ${service} gets ${name}, which its config schema does not read`)
  }
}
for (const [service, dockerfile] of Object.entries(compose.dockerfiles)) {
  check(existsSync(join(repo, dockerfile)), `docker-compose.yml: ${service} builds ${dockerfile}, which does not exist`)
}

// ---- the Dockerfiles' ENV lines ----------------------------------------------------------------
const { NODE_FLAGS } = await import('./services.mjs')
const runtimeOnly = new Set(['NODE_ENV']) // read by node and libraries, not by the config schema
for (const service of ['gateway', 'detector', 'blurrer', 'video']) {
  const path = `packages/${service}/Dockerfile`
  const text = readFileSync(join(repo, path), 'utf8').replace(/\\\n/g, ' ')
  const stages = text.split(/^FROM /m).slice(1)
  check(stages.length > 1, `${path}: expected a multi-stage build`)
  const runtime = stages.filter((s) => /^\S+ AS runtime\b/.test(s))
  check(runtime.length > 0, `${path}: no runtime stage`)
  for (const stage of runtime) {
    check(/^USER node$/m.test(stage), `${path}: a runtime stage does not run as USER node`)
    check(/^HEALTHCHECK /m.test(stage), `${path}: a runtime stage has no HEALTHCHECK`)
    const cmd = JSON.stringify(['node', ...NODE_FLAGS[service], 'dist/main.js'])
    const start = ['node', ...NODE_FLAGS[service], 'dist/main.js'].join(' ')
    check(JSON.parse(readFileSync(join(repo, `packages/${service}/package.json`), 'utf8')).scripts?.start === start, `packages/${service}/package.json: its start script is not \`${start}\` (scripts/services.mjs's NODE_FLAGS)`)
    check(stage.includes(`CMD ${cmd.replaceAll(',', ', ')}`), `${path}: a runtime stage's CMD is not ${cmd} (scripts/services.mjs's NODE_FLAGS)`)
    for (const [, body] of stage.matchAll(/^ENV (.*)$/gm)) {
      for (const [, name] of body.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)) {
        check(runtimeOnly.has(name) || name in schemas[service], `${path}: ENV ${name} is not in the ${service}'s config schema`)
      }
    }
  }
}

// ---- docker compose config, where the client is installed ---------------------------------------
const hasCompose = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0
if (hasCompose) {
  for (const files of [['docker-compose.yml'], ['docker-compose.yml', 'docker-compose.gpu.yml'], ['docker-compose.yml', 'docker-compose.cluster.yml']]) {
    const args = ['compose', ...files.flatMap((f) => ['-f', f]), 'config', '--quiet']
    const run = spawnSync('docker', args, { cwd: repo, encoding: 'utf8' })
    check(run.status === 0, `docker ${args.join(' ')}: ${run.stderr.trim()}`)
  }
}

for (const p of problems) console.error(`not ok: ${p}`)
console.log(`check-docker: ${checks - problems.length} passed, ${problems.length} failed` +
  (hasCompose ? '' : ' (no `docker compose` client here: compose schema not checked)'))
process.exit(problems.length === 0 ? 0 : 1)
