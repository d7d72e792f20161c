import { FaceBlurError } from '@faceblur/contracts'

/**
 * The gateway's door: uploads in progress, at most `total` at once and at most `perClient` for any
 * one client (its API key, else its address), so one client's stalled or slow uploads cannot keep
 * every other client out. A slot is held from admission until the upload is stored or refused.
 */
export interface UploadSlots {
  /** A slot for `client`, or FB_ERR_TOO_MANY_UPLOADS; the returned function gives it back. */
  take: (client: string) => () => void
  readonly inProgress: number
}

export function uploadSlots (total: number, perClient: number): UploadSlots {
  const byClient = new Map<string, number>()
  let inProgress = 0
  return {
    get inProgress () { return inProgress },
    take (client) {
      const mine = byClient.get(client) ?? 0
      if (mine >= perClient) throw new FaceBlurError('FB_ERR_TOO_MANY_UPLOADS', `this client has ${mine} uploads in progress (limit ${perClient} per client)`)
      if (inProgress >= total) throw new FaceBlurError('FB_ERR_TOO_MANY_UPLOADS', `${inProgress} uploads in progress (limit ${total})`)
      byClient.set(client, mine + 1)
      inProgress++
      let released = false
      return () => {
        if (released) return
        released = true
        inProgress--
        const left = byClient.get(client)! - 1
        if (left === 0) byClient.delete(client) // no entry outlives its uploads
        else byClient.set(client, left)
      }
    }
  }
}
