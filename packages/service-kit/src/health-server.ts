import { createServer, type Server } from 'node:http'

export interface HealthReport { ok: boolean, [detail: string]: unknown }

/**
 * A tiny HTTP server for stages that have no API of their own: `GET /health` (alive), `GET /ready`
 * (consuming, and its dependencies answer) and `GET /metrics` (Prometheus text).
 */
export async function startHealthServer (port: number, host: string, probes: {
  health: () => HealthReport
  ready: () => Promise<HealthReport>
  metrics?: () => Promise<{ contentType: string, body: string }>
}): Promise<Server> {
  const server = createServer((req, res) => {
    const reply = (report: HealthReport): void => {
      res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report))
    }
    if (req.url === '/health') return reply(probes.health())
    if (req.url === '/ready') {
      probes.ready().then(reply, (err: Error) => reply({ ok: false, error: err.message }))
      return
    }
    if (req.url === '/metrics' && probes.metrics !== undefined) {
      probes.metrics().then(({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message))
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`the health port ${host}:${port} is in use by another process (each stage's *_HEALTH_PORT setting moves it)`, { cause: err }) : err)
    })
    server.listen(port, host, resolve)
  })
  return server
}
