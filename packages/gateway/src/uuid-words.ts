// A task id as four 32-bit words, and their hash: the task table's keys (task-table.ts).

/** Writes the UUID `id`'s 128 bits into `into` as four words (no validation: ids are checked at the door). */
export function uuidWords (id: string, into: Uint32Array): void {
  into[0] = parseInt(id.slice(0, 8), 16)
  into[1] = parseInt(id.slice(9, 13) + id.slice(14, 18), 16)
  into[2] = parseInt(id.slice(19, 23) + id.slice(24, 28), 16)
  into[3] = parseInt(id.slice(28, 36), 16)
}

/** The UUID whose four words start at `words[at]`: `uuidWords` undone (lower-case hex). */
export function uuidOfWords (words: Uint32Array, at: number): string {
  const hex = (i: number): string => words[at + i]!.toString(16).padStart(8, '0')
  const [a, b, c, d] = [hex(0), hex(1), hex(2), hex(3)]
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`
}

/** murmur3's 32-bit hash of four words from `seed` (a random seed per table: no crafted collisions). */
export function murmur3Words (seed: number, a: number, b: number, c: number, d: number): number {
  let h = mix(mix(mix(mix(seed, a), b), c), d) ^ 16
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** One murmur3 round: `word` mixed into the running hash `h`. */
function mix (h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51)
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
  h ^= k
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
}
