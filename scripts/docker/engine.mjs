// A Docker Engine and the Compose and Buildx CLI plugins, found or provided.
//
// The engine: the one `docker info` reaches; otherwise, as root, Debian's docker.io is installed
// where dockerd is missing and dockerd is started in the background (it keeps running, like any
// system daemon; its log is in the cache). The plugins: the ones `docker` already has; otherwise
// Debian 13's docker-compose and docker-buildx packages (static Go programs needing only libc),
// unpacked into the cache and used through DOCKER_CONFIG for this run's commands only.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { capture, run, say, sleep, succeeds } from './exec.mjs'

const DEBIAN_PLUGIN_SUITE = 'trixie'
const PLUGINS = { compose: 'docker-compose', buildx: 'docker-buildx' }

function asRoot (what) {
  if (process.getuid?.() !== 0) throw new Error(`${what} needs root; install and start Docker Engine yourself, then run this again`)
}

async function ensureEngine (cache) {
  if (await succeeds('docker', ['info'])) return { started: false }
  if (!(await succeeds('sh', ['-c', 'command -v dockerd']))) {
    asRoot('installing Docker Engine')
    say("no Docker Engine: installing Debian's docker.io")
    await run('apt-get', ['update', '-qq'])
    await run('apt-get', ['install', '--yes', '-qq', 'docker.io'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  }
  asRoot('starting dockerd')
  const logFile = join(cache, 'dockerd.log')
  say(`starting dockerd (log: ${logFile})`)
  const out = openSync(logFile, 'a')
  spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] }).unref()
  closeSync(out)
  for (let i = 0; i < 60; i++) {
    if (await succeeds('docker', ['info'])) return { started: true }
    await sleep(1000)
  }
  throw new Error(`dockerd did not answer within 60 s; see ${logFile}`)
}

/** Unpacks the plugins' Debian packages into `dir`/cli-plugins, once. */
async function fetchPlugins (dir) {
  const plugins = join(dir, 'cli-plugins')
  if (Object.values(PLUGINS).every((name) => existsSync(join(plugins, name)))) return
  say(`fetching ${Object.values(PLUGINS).join(' and ')} from Debian ${DEBIAN_PLUGIN_SUITE} into ${plugins}`)
  const apt = join(dir, 'apt')
  rmSync(apt, { recursive: true, force: true })
  mkdirSync(join(apt, 'lists', 'partial'), { recursive: true })
  mkdirSync(join(apt, 'cache', 'archives', 'partial'), { recursive: true })
  const sources = join(apt, 'sources.list')
  await run('sh', ['-c', `echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${DEBIAN_PLUGIN_SUITE} main" > "${sources}"`])
  const options = [
    '-o', `Dir::Etc::sourcelist=${sources}`, '-o', 'Dir::Etc::sourceparts=-',
    '-o', `Dir::State::Lists=${join(apt, 'lists')}`, '-o', `Dir::Cache=${join(apt, 'cache')}`,
    '-o', 'APT::Sandbox::User=root'
  ]
  await run('apt-get', [...options, 'update', '-qq'])
  await run('apt-get', [...options, 'download', ...Object.values(PLUGINS)], { cwd: apt })
  const unpacked = join(apt, 'root')
  for (const deb of readdirSync(apt).filter((name) => name.endsWith('.deb'))) {
    await run('dpkg-deb', ['--extract', join(apt, deb), unpacked])
  }
  mkdirSync(plugins, { recursive: true })
  for (const name of Object.values(PLUGINS)) {
    await run('cp', [join(unpacked, 'usr/libexec/docker/cli-plugins', name), join(plugins, name)])
  }
  rmSync(apt, { recursive: true, force: true })
}

/**
 * Makes `docker compose` and `docker buildx` work and an engine answer. Returns the environment the
 * Docker commands of this run must use, and what was started or fetched for the summary.
 */
export async function ensureDocker (cache) {
  mkdirSync(cache, { recursive: true })
  const env = { ...process.env }
  const provided = []
  if (!(await succeeds('sh', ['-c', 'command -v docker']))) {
    asRoot('installing the Docker client')
    await run('apt-get', ['install', '--yes', '-qq', 'docker.io'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  }
  const missing = []
  for (const plugin of Object.keys(PLUGINS)) {
    if (!(await succeeds('docker', [plugin, 'version']))) missing.push(plugin)
  }
  if (missing.length > 0) {
    const dir = join(cache, 'cli')
    await fetchPlugins(dir)
    env.DOCKER_CONFIG = dir
    provided.push(`docker ${missing.join(' and ')} from Debian ${DEBIAN_PLUGIN_SUITE} (${dir}/cli-plugins)`)
  }
  const { started } = await ensureEngine(cache)
  if (started) provided.push('dockerd started')
  const versions = await capture('docker', ['version', '--format', 'engine {{.Server.Version}}, client {{.Client.Version}}'], { env })
  const compose = await capture('docker', ['compose', 'version', '--short'], { env })
  say(`Docker ${versions.trim()}, compose ${compose.trim()}`)
  return { env, provided }
}
