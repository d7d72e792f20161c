import { codecs, isTaskId, wsStatusMessage, type WsErrorMessage, type WsStatusMessage } from '@faceblur/contracts'
import { visibleTo } from '../auth.js'
import type { FastifyPluginAsync } from 'fastify'

/**
 * `GET /ws`: a client sends `{"subscribe": ["<task_id>", …]}` and receives, for each task, its
 * current state at once and then every transition as `{"task_id", "status", "stage", …}`; a
 * finished task's message carries the poll endpoint's `result` (for a blur, a link to the image;
 * for a video, both), and a running video's carries its `progress`.
 */
const PROGRESS_EVERY_MS = 250

export const liveStatusRoutes: FastifyPluginAsync = async (app) => {
  app.get('/ws', { websocket: true, schema: { hide: true } }, (socket, request) => {
    const unsubscribe = new Map<string, () => void>()
    const send = (message: WsStatusMessage | WsErrorMessage): void => {
      // A client that stops reading must not grow the gateway's memory: drop it instead.
      if (socket.bufferedAmount > 1024 * 1024) { socket.terminate(); return }
      socket.send(JSON.stringify(message))
    }
    socket.on('message', (raw) => {
      const parsed = codecs.wsSubscribe.parse(raw.toString())
      if (!parsed.ok) return send({ type: 'error', error: { code: 'FB_ERR_EVENT_INVALID', message: `send {"subscribe": ["<task_id>", …]} (at most 1000): ${parsed.reason}` } })
      for (const id of parsed.value.subscribe) {
        if (!isTaskId(id)) { send({ type: 'error', task_id: id, error: { code: 'FB_ERR_TASK_ID_INVALID', message: 'not a task id' } }); continue }
        if (unsubscribe.has(id)) continue
        // Watch first, then read: a transition between the two cannot be missed. A video's progress
        // is sent at most every PROGRESS_EVERY_MS; every other transition at once.
        let lastProgress = 0
        unsubscribe.set(id, app.view.watch(id, (s) => {
          if (s.status === 'STARTED' && s.progress !== undefined) {
            const now = Date.now()
            if (now - lastProgress < PROGRESS_EVERY_MS) return
            lastProgress = now
          }
          send(wsStatusMessage(s))
        }))
        const current = app.view.get(id)
        if (current === undefined || !visibleTo(current, request.owner)) {
          unsubscribe.get(id)?.()
          unsubscribe.delete(id)
          send({ type: 'error', task_id: id, error: { code: 'FB_ERR_TASK_NOT_FOUND', message: 'no such task' } })
        } else {
          send(wsStatusMessage(current))
        }
      }
    })
    // Ping every few seconds; a client that has not answered the previous ping is gone.
    let alive = true
    socket.on('pong', () => { alive = true })
    const heartbeat = setInterval(() => {
      if (!alive) { socket.terminate(); return }
      alive = false
      socket.ping()
    }, app.config.FACEBLUR_WS_HEARTBEAT_S * 1000)
    socket.on('close', () => {
      clearInterval(heartbeat)
      for (const off of unsubscribe.values()) off()
    })
  })
}
