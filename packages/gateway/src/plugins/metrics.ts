import { cachedFor } from '@faceblur/service-kit'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * `GET /metrics` in Prometheus text: requests, upload bytes, tasks by status, upload → finish
 * latency, and every stage's consumer lag (images and video).
 */
export const metrics = fp(async (app) => {
  const { view, bus, topics, groups } = app
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'faceblur_gateway_' })
  const requests = new Counter({ name: 'faceblur_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] })
  const duration = new Histogram({
    name: 'faceblur_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry]
  })
  const uploadBytes = new Counter({ name: 'faceblur_upload_bytes_total', help: 'bytes of accepted uploads', labelNames: ['kind'], registers: [registry] })
  const taskSeconds = new Histogram({
    name: 'faceblur_task_duration_seconds', help: 'upload to SUCCESS/FAILURE, as seen in the status topic', labelNames: ['kind', 'status'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [registry]
  })
  new Gauge({ // registered by construction
    name: 'faceblur_tasks', help: 'tasks in the view by status', labelNames: ['status'], registers: [registry],
    collect () { for (const [status, n] of Object.entries(view.counts())) this.set({ status }, n) }
  })
  // Read from Kafka at most every 5 s, however often /metrics is scraped.
  const pairs = [
    [groups.detector, topics.submitted], [groups.blurrer, topics.facesDetected], [groups.videoSplitter, topics.submitted],
    [groups.videoDetector, topics.videoSegments], [groups.videoBlurrer, topics.videoFaces], [groups.videoJoiner, topics.videoEncoded]
  ] as const
  const lags = cachedFor(5000, async () => await Promise.all(pairs.map(async ([group, topic]) => {
    try { return { group, topic, lag: await bus.lag(group, topic) } } catch { return undefined } // Kafka down: /ready says so
  })))
  new Gauge({
    name: 'faceblur_consumer_lag', help: 'messages a stage has not committed yet', labelNames: ['group', 'topic'], registers: [registry],
    async collect () {
      for (const l of await lags()) if (l !== undefined) this.set({ group: l.group, topic: l.topic }, l.lag)
    }
  })
  view.onFinish((s, seconds) => taskSeconds.observe({ kind: s.kind, status: s.status }, seconds))
  app.decorate('countUpload', (kind: string, bytes: number) => uploadBytes.inc({ kind }, bytes))

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    requests.inc({ method: request.method, route, status: String(reply.statusCode) })
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
  })
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return await reply.type(registry.contentType).send(await registry.metrics())
  })
}, { name: 'metrics', dependencies: ['infra', 'task-view'] })

declare module 'fastify' {
  interface FastifyInstance {
    countUpload: (kind: string, bytes: number) => void
  }
}

