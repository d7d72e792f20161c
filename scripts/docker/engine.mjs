// A Docker Engine and the Compose and Buildx CLI plugins, found or provided.
//
// The engine: the one `docker info` reaches; otherwise, as root, Debian's docker.io is installed
// where dockerd is missing and dockerd is started in the background (it keeps running, like any
// system daemon; its log is in the cache). The plugins: the ones `docker` already has; otherwise
// Debian 13's docker-compose and docker-buildx packages (static Go programs needing only libc),
// unpacked into the cache and used through DOCKER_CONFIG for this run's commands only.
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { capture, run, succeeds } from '../lib/child.mjs'
import { say } from './say.mjs'

const DEBIAN_PLUGIN_SUITE = 'trixie'
const PLUGINS = { compose: 'docker-compose', buildx: 'docker-buildx' }

function asRoot (what) {
  if (process.getuid?.() !== 0) throw new Error(`${what} needs root; install and start Docker Engine yourself, then run this again`)
}

/** Installs a package of this machine's own Debian suites; its output is shown only on failure. */
export async function aptInstall (name) {
  say(`installing Debian's ${name}`)
  await capture('apt-get', ['update', '-qq'])
  await capture('apt-get', ['install', '--yes', '-qq', name], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

async function ensureEngine (cache, provided) {
  if (await succeeds('docker', ['info'])) return
  if (!(await succeeds('sh', ['-c', 'command -v dockerd']))) {
    asRoot('installing Docker Engine')
    await aptInstall('docker.io')
    provided.push("Debian's docker.io installed")
  }
  asRoot('starting dockerd')
  const logFile = join(cache, 'dockerd.log')
  say(`starting dockerd (log: ${logFile})`)
  const out = openSync(logFile, 'a')
  spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] }).unref()
  closeSync(out)
  for (let i = 0; i < 60; i++) {
    if (await succeeds('docker', ['info'])) {
      provided.push('dockerd started')
      return
    }
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
  writeFileSync(sources, `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${DEBIAN_PLUGIN_SUITE} main\n`)
  const options = [
    '-o', `Dir::Etc::sourcelist=${sources}`, '-o', 'Dir::Etc::sourceparts=-',
    '-o', `Dir::State::Lists=${join(apt, 'lists')}`, '-o', `Dir::Cache=${join(apt, 'cache')}`,
    '-o', 'APT::Sandbox::User=root'
  ]
  await capture('apt-get', [...options, 'update', '-qq'])
  await capture('apt-get', [...options, 'download', ...Object.values(PLUGINS)], { cwd: apt })
  const unpacked = join(apt, 'root')
  for (const deb of readdirSync(apt).filter((name) => name.endsWith('.deb'))) {
    await run('dpkg-deb', ['--extract', join(apt, deb), unpacked])
  }
  mkdirSync(plugins, { recursive: true })
  for (const name of Object.values(PLUGINS)) {
    copyFileSync(join(unpacked, 'usr/libexec/docker/cli-plugins', name), join(plugins, name))
    chmodSync(join(plugins, name), 0o755)
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
    await aptInstall('docker.io')
    provided.push("Debian's docker.io installed")
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
  await ensureEngine(cache, provided)
  const versions = await capture('docker', ['version', '--format', 'engine {{.Server.Version}}, client {{.Client.Version}}'], { env })
  const compose = await capture('docker', ['compose', 'version', '--short'], { env })
  say(`Docker ${versions.trim()}, compose ${compose.trim()}`)
  return { env, provided }
}
