import { createServer, type Server } from 'node:http'

export interface HealthReport { ok: boolean, [detail: string]: unknown }

/**
 * A tiny HTTP server for stages that have no API of their own: `GET /health` (alive) and
 * `GET /ready` (its dependencies answer), each returning JSON from the given probe.
 */
export async function startHealthServer (port: number, host: string, probes: { health: () => HealthReport, ready: () => Promise<HealthReport> }): Promise<Server> {
  const server = createServer((req, res) => {
    const reply = (report: HealthReport): void => {
      res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report))
    }
    if (req.url === '/health') return reply(probes.health())
    if (req.url === '/ready') {
      probes.ready().then(reply, (err: Error) => reply({ ok: false, error: err.message }))
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
  })
  await new Promise<void>((resolve) => server.listen(port, host, resolve))
  return server
}
