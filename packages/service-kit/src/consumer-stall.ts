// When a group's consumer is wedged and must be replaced: a pure rule, apart from the timers that apply it.

export interface ConsumerLiveness {
  /** In its group now: joined, and no rebalance or crash since. */
  joined: boolean
  /** Last fetch, heartbeat, commit or message (epoch ms). */
  lastActiveAt: number
  /** When it last left its group, or was started (epoch ms); meaningful while not joined. */
  outOfGroupSince: number
}

export interface StallLimits {
  /** Silent this long: no fetch, heartbeat, commit or message. */
  silentMs: number
  /** Out of its group this long, however busy it looks. */
  outOfGroupMs: number
}

/**
 * Why the consumer should be replaced now, or undefined while it is well. Activity alone is not
 * enough: a handler still at work keeps beating, and kafkajs answers a heartbeat at once, sending
 * nothing, while its consumer has no member id. Such a consumer looks busy yet stays out of its
 * group for good (seen after a rolling broker restart), so a consumer is also replaced once it has
 * been out of its group longer than any rebalance may take.
 */
export function stallOf (c: ConsumerLiveness, now: number, limits: StallLimits): string | undefined {
  const silentFor = now - c.lastActiveAt
  if (silentFor >= limits.silentMs) return `no fetch or heartbeat for ${Math.round(silentFor / 1000)} s`
  const outFor = now - c.outOfGroupSince
  if (!c.joined && outFor >= limits.outOfGroupMs) return `out of its group for ${Math.round(outFor / 1000)} s`
  return undefined
}
