// The stages' health server: its three endpoints, and a clear error when its port is taken.
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { startHealthServer } from '../src/health-server.js'

const probes = { health: () => ({ ok: true }), ready: async () => ({ ok: false, consumer: false }) }

t.test('answers /health and /ready with their reports; a taken port is a clear error, not a crash', async (t) => {
  const server = await startHealthServer(0, '127.0.0.1', probes)
  t.teardown(() => { server.close() })
  const { port } = server.address() as AddressInfo
  const health = await fetch(`http://127.0.0.1:${port}/health`)
  t.equal(health.status, 200)
  const ready = await fetch(`http://127.0.0.1:${port}/ready`)
  t.equal(ready.status, 503)
  t.same(await ready.json(), { ok: false, consumer: false })
  await t.rejects(startHealthServer(port, '127.0.0.1', probes), { message: `the health port 127.0.0.1:${port} is in use by another process (each stage's *_HEALTH_PORT setting moves it)` })
})
