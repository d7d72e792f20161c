import { randomInt } from 'node:crypto'

/** How much the columns and the arena grow when full: a quarter keeps the unused tail small. */
const GROWTH = 1.25

/**
 * The task view's storage: one record per task id, kept in typed arrays and one byte arena rather
 * than as JavaScript objects, so a million tasks cost a few hundred bytes each and give the garbage
 * collector almost nothing to trace (`pnpm bench:view` measures it).
 *
 * Records are found through an open-addressing hash index (linear probing, backward-shift
 * deletion) keyed by the id's 128 bits, hashed with a per-table random seed so ids chosen by a
 * client cannot pile onto one probe chain. Freed records are reused; the arrays grow by a quarter
 * when full. A record's detail (a finished task's result or error as JSON) is UTF-8 in the arena;
 * space freed there is reclaimed by compaction when it is half the arena.
 *
 * Ids must be lowercase UUIDs (the status schema's TASK_ID_PATTERN); the caller checks them.
 */
export class TaskTable {
  #seed = randomInt(2 ** 32)
  /** Hash slot → record + 1 (0: empty). Its length is a power of two, at most half full. */
  #index = new Int32Array(1024)
  #records = 0
  #live = 0
  #free: number[] = []
  // Columns, by record.
  #keys = new Uint32Array(4 * 256)
  #used = new Uint8Array(256)
  #code = new Uint8Array(256)
  #at = new Float64Array(256)
  #born = new Float64Array(256)
  #owner = new Uint32Array(256)
  #model = new Uint16Array(256)
  #detailStart = new Uint32Array(256)
  #detailBytes = new Uint32Array(256)
  #arena = Buffer.alloc(64 * 1024)
  #arenaEnd = 0
  #arenaGarbage = 0
  readonly #scratch = new Uint32Array(4)

  get size (): number { return this.#live }

  /** The record of `id`, or -1. */
  find (id: string): number {
    const key = this.#parse(id)
    const mask = this.#index.length - 1
    for (let slot = this.#hash(key[0]!, key[1]!, key[2]!, key[3]!) & mask; ; slot = (slot + 1) & mask) {
      const held = this.#index[slot]!
      if (held === 0) return -1
      if (this.#matches(held - 1, key)) return held - 1
    }
  }

  /** A new, zeroed record for `id`, which must not be in the table. */
  insert (id: string): number {
    if ((this.#live + 1) * 2 > this.#index.length) this.#rehash(this.#index.length * 2)
    const record = this.#free.pop() ?? this.#newRecord()
    const key = this.#parse(id)
    this.#keys.set(key, record * 4)
    this.#used[record] = 1
    const mask = this.#index.length - 1
    let slot = this.#hash(key[0]!, key[1]!, key[2]!, key[3]!) & mask
    while (this.#index[slot] !== 0) slot = (slot + 1) & mask
    this.#index[slot] = record + 1
    this.#live++
    return record
  }

  /** Frees a record (its id, fields and detail). */
  remove (record: number): void {
    const mask = this.#index.length - 1
    let hole = this.#homeOf(record)
    while (this.#index[hole] !== record + 1) hole = (hole + 1) & mask
    this.#index[hole] = 0
    // Backward shift: pull later entries of the probe run into the hole when their home allows,
    // so lookups never need tombstones.
    for (let slot = (hole + 1) & mask; this.#index[slot] !== 0; slot = (slot + 1) & mask) {
      const home = this.#homeOf(this.#index[slot]! - 1)
      const between = hole <= slot ? hole < home && home <= slot : hole < home || home <= slot
      if (between) continue
      this.#index[hole] = this.#index[slot]!
      this.#index[slot] = 0
      hole = slot
    }
    this.setDetail(record, undefined)
    this.#used[record] = 0
    this.#code[record] = 0
    this.#at[record] = 0
    this.#born[record] = 0
    this.#owner[record] = 0
    this.#model[record] = 0
    this.#free.push(record)
    this.#live--
  }

  /** Every live record (removing the current one while iterating is allowed). */
  * records (): Generator<number> {
    for (let record = 0; record < this.#records; record++) if (this.#used[record] === 1) yield record
  }

  idOf (record: number): string {
    const hex = (i: number): string => this.#keys[record * 4 + i]!.toString(16).padStart(8, '0')
    const [a, b, c, d] = [hex(0), hex(1), hex(2), hex(3)]
    return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`
  }

  code (record: number): number { return this.#code[record]! }
  setCode (record: number, code: number): void { this.#code[record] = code }
  /** Epoch milliseconds. */
  at (record: number): number { return this.#at[record]! }
  setAt (record: number, ms: number): void { this.#at[record] = ms }
  born (record: number): number { return this.#born[record]! }
  setBorn (record: number, ms: number): void { this.#born[record] = ms }
  /** A small number the caller maps to an owner (0: none). */
  owner (record: number): number { return this.#owner[record]! }
  setOwner (record: number, owner: number): void { this.#owner[record] = owner }
  /** A small number the caller maps to a model (0: none). */
  model (record: number): number { return this.#model[record]! }
  setModel (record: number, model: number): void { this.#model[record] = model }

  detail (record: number): string | undefined {
    const bytes = this.#detailBytes[record]!
    if (bytes === 0) return undefined
    const start = this.#detailStart[record]!
    return this.#arena.toString('utf8', start, start + bytes)
  }

  setDetail (record: number, text: string | undefined): void {
    this.#arenaGarbage += this.#detailBytes[record]!
    this.#detailStart[record] = 0
    this.#detailBytes[record] = 0
    if (text === undefined || text === '') return
    const bytes = Buffer.byteLength(text)
    if (this.#arenaEnd + bytes > this.#arena.length) this.#makeRoom(bytes)
    this.#arena.write(text, this.#arenaEnd, 'utf8')
    this.#detailStart[record] = this.#arenaEnd
    this.#detailBytes[record] = bytes
    this.#arenaEnd += bytes
  }

  /** Bytes held: the columns, the index and the arena (what a task costs outside the JS heap). */
  get byteLength (): number {
    return this.#index.byteLength + this.#keys.byteLength + this.#arena.length +
      this.#code.length * (1 + 1 + 8 + 8 + 4 + 2 + 4 + 4)
  }

  #newRecord (): number {
    if (this.#records === this.#code.length) this.#growRecords(Math.ceil(this.#records * GROWTH))
    return this.#records++
  }

  #growRecords (capacity: number): void {
    const grown = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(old: T, make: (n: number) => T, per = 1): T => {
      const next = make(capacity * per)
      next.set(old)
      return next
    }
    this.#keys = grown(this.#keys, (n) => new Uint32Array(n), 4)
    this.#used = grown(this.#used, (n) => new Uint8Array(n))
    this.#code = grown(this.#code, (n) => new Uint8Array(n))
    this.#at = grown(this.#at, (n) => new Float64Array(n))
    this.#born = grown(this.#born, (n) => new Float64Array(n))
    this.#owner = grown(this.#owner, (n) => new Uint32Array(n))
    this.#model = grown(this.#model, (n) => new Uint16Array(n))
    this.#detailStart = grown(this.#detailStart, (n) => new Uint32Array(n))
    this.#detailBytes = grown(this.#detailBytes, (n) => new Uint32Array(n))
  }

  #rehash (slots: number): void {
    this.#index = new Int32Array(slots)
    const mask = slots - 1
    for (let record = 0; record < this.#records; record++) {
      if (this.#used[record] !== 1) continue
      let slot = this.#homeOf(record)
      while (this.#index[slot] !== 0) slot = (slot + 1) & mask
      this.#index[slot] = record + 1
    }
  }

  /** Compacts the arena when half of it is freed space, else grows it by a quarter. */
  #makeRoom (bytes: number): void {
    const liveBytes = this.#arenaEnd - this.#arenaGarbage
    const compact = this.#arenaGarbage * 2 >= this.#arenaEnd
    const size = Math.max(compact ? this.#arena.length : Math.ceil(this.#arena.length * GROWTH), Math.ceil((liveBytes + bytes) * GROWTH))
    const next = Buffer.alloc(size)
    if (compact) {
      let end = 0
      for (let record = 0; record < this.#records; record++) {
        const n = this.#detailBytes[record]!
        if (n === 0) continue
        const start = this.#detailStart[record]!
        this.#arena.copy(next, end, start, start + n)
        this.#detailStart[record] = end
        end += n
      }
      this.#arenaEnd = end
      this.#arenaGarbage = 0
    } else {
      this.#arena.copy(next, 0, 0, this.#arenaEnd)
    }
    this.#arena = next
  }

  #parse (id: string): Uint32Array {
    const key = this.#scratch
    key[0] = parseInt(id.slice(0, 8), 16)
    key[1] = parseInt(id.slice(9, 13) + id.slice(14, 18), 16)
    key[2] = parseInt(id.slice(19, 23) + id.slice(24, 28), 16)
    key[3] = parseInt(id.slice(28, 36), 16)
    return key
  }

  #matches (record: number, key: Uint32Array): boolean {
    const at = record * 4
    const keys = this.#keys
    return keys[at] === key[0] && keys[at + 1] === key[1] && keys[at + 2] === key[2] && keys[at + 3] === key[3]
  }

  #homeOf (record: number): number {
    const at = record * 4
    const keys = this.#keys
    return this.#hash(keys[at]!, keys[at + 1]!, keys[at + 2]!, keys[at + 3]!) & (this.#index.length - 1)
  }

  /** murmur3's 32-bit hash of the four words, from the table's seed. */
  #hash (a: number, b: number, c: number, d: number): number {
    let h = mix(mix(mix(mix(this.#seed, a), b), c), d) ^ 16
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    return (h ^ (h >>> 16)) >>> 0
  }
}

/** One murmur3 round: `word` mixed into the running hash `h`. */
function mix (h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51)
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
  h ^= k
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
}
