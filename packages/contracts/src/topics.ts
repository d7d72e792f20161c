/** Kafka topics. Every topic is keyed by `task_id`, so one task's events stay in order on one partition. */
export const TOPICS = Object.freeze({
  submitted: 'faceblur.tasks.submitted',
  facesDetected: 'faceblur.faces.detected',
  status: 'faceblur.tasks.status',
  deadLetter: 'faceblur.tasks.dlq'
} as const)

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS]

/** Consumer groups: processes of one stage share a group and so share the work. */
export const CONSUMER_GROUPS = Object.freeze({
  detector: 'detector',
  blurrer: 'blurrer'
} as const)
