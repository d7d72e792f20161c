/** Kafka topics. Every topic is keyed by `task_id`, so one task's events stay in order on one partition. */
export interface Topics {
  submitted: string
  facesDetected: string
  status: string
  deadLetter: string
  /** Video segments for the detectors (keyed `{task_id}/{index}`). */
  videoSegments: string
  /** Each segment's faces per frame, for the blurrers (keyed `{task_id}/{index}`). */
  videoFaces: string
  /** Encoded segments for the joiner (keyed by task id). */
  videoEncoded: string
}

/** Consumer groups: processes of one stage share a group and so share the work. */
export interface ConsumerGroups {
  detector: string
  blurrer: string
  /** The video stage's splitter (reads `submitted`, takes `video` tasks). */
  videoSplitter: string
  videoDetector: string
  videoBlurrer: string
  videoJoiner: string
}

/** Characters Kafka allows in topic names, for a namespace prefix. */
export const NAMESPACE_PATTERN = '^[a-zA-Z0-9._-]*$'

/**
 * Topic and group names under an optional namespace prefix, so several deployments (staging and
 * production, or parallel test runs) can share one Kafka cluster without seeing each other.
 * The empty namespace gives the names in DESIGN.md.
 */
export function namesFor (namespace = ''): { topics: Readonly<Topics>, groups: Readonly<ConsumerGroups> } {
  if (!new RegExp(NAMESPACE_PATTERN).test(namespace)) throw new Error(`invalid namespace "${namespace}": use letters, digits, '.', '_' and '-'`)
  return {
    topics: Object.freeze({
      submitted: `${namespace}faceblur.tasks.submitted`,
      facesDetected: `${namespace}faceblur.faces.detected`,
      status: `${namespace}faceblur.tasks.status`,
      deadLetter: `${namespace}faceblur.tasks.dlq`,
      videoSegments: `${namespace}faceblur.video.segments`,
      videoFaces: `${namespace}faceblur.video.faces`,
      videoEncoded: `${namespace}faceblur.video.encoded`
    }),
    groups: Object.freeze({
      detector: `${namespace}detector`,
      blurrer: `${namespace}blurrer`,
      videoSplitter: `${namespace}video.split`,
      videoDetector: `${namespace}detector.video`,
      videoBlurrer: `${namespace}blurrer.video`,
      videoJoiner: `${namespace}video.join`
    })
  }
}

/** The default names: `faceblur.tasks.submitted`, `faceblur.faces.detected`, `faceblur.tasks.status`, `faceblur.tasks.dlq`. */
export const TOPICS = namesFor().topics
export const CONSUMER_GROUPS = namesFor().groups
