// patches/minio@8.0.7.patch: a put signed with its body's SHA-256 (plain HTTP, as the services talk to
// MinIO) hashes no MD5, which the client sends only over TLS. Watched on a real put to the real MinIO,
// through node:crypto's createHash; unpatched, the put hashes both.
import { randomUUID } from 'node:crypto'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import t from 'tap'
import { storeFromConfig } from '../src/connect.js'
import { loadEnvConfig, SharedEnv } from '../src/env-config.js'

const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')
const store = storeFromConfig(loadEnvConfig(SharedEnv, process.env))

t.test('a put hashes its body with SHA-256 only', async (t) => {
  await store.ensureBucket()
  const key = `uploads/minio-patch-${randomUUID()}`
  const body = Buffer.alloc(64 * 1024, 7)
  const algorithms: string[] = []
  const createHash = crypto.createHash
  crypto.createHash = ((algorithm: string, options?: object) => {
    algorithms.push(algorithm)
    return createHash(algorithm, options)
  }) as typeof crypto.createHash
  syncBuiltinESMExports() // the client's `import * as crypto` sees the wrapper
  try {
    await store.put(key, body, 'application/octet-stream')
  } finally {
    crypto.createHash = createHash
    syncBuiltinESMExports()
  }
  t.teardown(() => store.remove(key))
  t.ok(algorithms.includes('sha256'), `hashed with ${algorithms.join(', ')}`)
  t.notOk(algorithms.includes('md5'), 'no MD5 of the body')
  t.same(await store.get(key), body, 'the object is stored whole')
})
