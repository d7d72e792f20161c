import { randomInt } from 'node:crypto'
import { murmur3Words, uuidOfWords, uuidWords } from './uuid-words.js'

/** Records per chunk of columns: growing adds a chunk and frees nothing. */
const CHUNK_BITS = 14
const CHUNK = 1 << CHUNK_BITS
const IN_CHUNK = CHUNK - 1
/** The detail arena's chunk size; a detail larger than this is kept as a string on the side. */
const ARENA_CHUNK = 1 << 20
const LARGE = 0xffffffff

/** The columns of CHUNK records. */
class Chunk {
  readonly keys = new Uint32Array(4 * CHUNK)
  readonly used = new Uint8Array(CHUNK)
  readonly code = new Uint8Array(CHUNK)
  readonly at = new Float64Array(CHUNK)
  readonly born = new Float64Array(CHUNK)
  readonly owner = new Uint32Array(CHUNK)
  readonly model = new Uint16Array(CHUNK)
  /** Where the detail starts: arena chunk × ARENA_CHUNK + offset. */
  readonly detailStart = new Uint32Array(CHUNK)
  /** Its UTF-8 length; 0 for none, LARGE for one kept in `large`. */
  readonly detailBytes = new Uint32Array(CHUNK)
  static readonly bytes = CHUNK * (16 + 1 + 1 + 8 + 8 + 4 + 2 + 4 + 4)
}

/**
 * The task view's storage: one record per task id, kept in typed arrays and a byte arena rather
 * than as JavaScript objects, so a million tasks cost a few hundred bytes each and give the garbage
 * collector almost nothing to trace (`npm run bench:view` measures it).
 *
 * Records are found through an open-addressing hash index (linear probing, backward-shift
 * deletion) keyed by the id's 128 bits, hashed with a per-table random seed so ids chosen by a
 * client cannot pile onto one probe chain. Records live in fixed-size chunks and freed ones are
 * reused. A record's detail (a finished task's result or error as JSON) is UTF-8 in an arena of
 * 1 MiB chunks; the space details free is reclaimed by compacting when it is half the arena. Both
 * grow by fixed-size pieces that are kept, never by copying into ever larger blocks whose
 * predecessors the allocator would have to take back: that churn cost a gateway more resident
 * memory than the tasks themselves.
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
  readonly #chunks: Chunk[] = []
  #arena: Buffer[] = []
  /** Where the next detail goes in the arena's last chunk. */
  #arenaEnd = ARENA_CHUNK
  #arenaGarbage = 0
  readonly #large = new Map<number, string>()
  readonly #scratch = new Uint32Array(4)
  #parsed = ''

  get size (): number { return this.#live }

  /** The record of `id`, or -1. */
  find (id: string): number {
    const key = this.#parse(id)
    const mask = this.#index.length - 1
    for (let slot = murmur3Words(this.#seed, key[0]!, key[1]!, key[2]!, key[3]!) & mask; ; slot = (slot + 1) & mask) {
      const held = this.#index[slot]!
      if (held === 0) return -1
      if (this.#matches(held - 1, key)) return held - 1
    }
  }

  /** A new, zeroed record for `id`, which must not be in the table. */
  insert (id: string): number {
    if ((this.#live + 1) * 2 > this.#index.length) this.#rehash(this.#index.length * 2)
    const record = this.#free.pop() ?? this.#newRecord()
    const chunk = this.#chunk(record)
    chunk.keys.set(this.#parse(id), (record & IN_CHUNK) * 4)
    chunk.used[record & IN_CHUNK] = 1
    const mask = this.#index.length - 1
    let slot = this.#homeOf(record)
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
    const chunk = this.#chunk(record)
    const i = record & IN_CHUNK
    chunk.used[i] = 0
    chunk.code[i] = 0
    chunk.at[i] = 0
    chunk.born[i] = 0
    chunk.owner[i] = 0
    chunk.model[i] = 0
    this.#free.push(record)
    this.#live--
  }

  /** Every live record (removing the current one while iterating is allowed). */
  * records (): Generator<number> {
    for (let record = 0; record < this.#records; record++) if (this.#chunk(record).used[record & IN_CHUNK] === 1) yield record
  }

  idOf (record: number): string { return uuidOfWords(this.#chunk(record).keys, (record & IN_CHUNK) * 4) }

  code (record: number): number { return this.#chunk(record).code[record & IN_CHUNK]! }
  setCode (record: number, code: number): void { this.#chunk(record).code[record & IN_CHUNK] = code }
  /** Epoch milliseconds. */
  at (record: number): number { return this.#chunk(record).at[record & IN_CHUNK]! }
  setAt (record: number, ms: number): void { this.#chunk(record).at[record & IN_CHUNK] = ms }
  born (record: number): number { return this.#chunk(record).born[record & IN_CHUNK]! }
  setBorn (record: number, ms: number): void { this.#chunk(record).born[record & IN_CHUNK] = ms }
  /** A small number the caller maps to an owner (0: none). */
  owner (record: number): number { return this.#chunk(record).owner[record & IN_CHUNK]! }
  setOwner (record: number, owner: number): void { this.#chunk(record).owner[record & IN_CHUNK] = owner }
  /** A small number the caller maps to a model (0: none). */
  model (record: number): number { return this.#chunk(record).model[record & IN_CHUNK]! }
  setModel (record: number, model: number): void { this.#chunk(record).model[record & IN_CHUNK] = model }

  detail (record: number): string | undefined {
    const chunk = this.#chunk(record)
    const i = record & IN_CHUNK
    const bytes = chunk.detailBytes[i]!
    if (bytes === 0) return undefined
    if (bytes === LARGE) return this.#large.get(record)
    const start = chunk.detailStart[i]!
    const offset = start % ARENA_CHUNK
    return this.#arena[(start - offset) / ARENA_CHUNK]!.toString('utf8', offset, offset + bytes)
  }

  setDetail (record: number, text: string | undefined): void {
    const chunk = this.#chunk(record)
    const i = record & IN_CHUNK
    const old = chunk.detailBytes[i]!
    if (old === LARGE) this.#large.delete(record)
    else this.#arenaGarbage += old
    chunk.detailStart[i] = 0
    chunk.detailBytes[i] = 0
    if (text === undefined || text === '') return
    const bytes = Buffer.byteLength(text)
    if (bytes >= ARENA_CHUNK) {
      this.#large.set(record, text)
      chunk.detailBytes[i] = LARGE
      return
    }
    if (this.#arenaEnd + bytes > ARENA_CHUNK) this.#nextArenaChunk()
    const last = this.#arena.length - 1
    this.#arena[last]!.write(text, this.#arenaEnd, 'utf8')
    chunk.detailStart[i] = last * ARENA_CHUNK + this.#arenaEnd
    chunk.detailBytes[i] = bytes
    this.#arenaEnd += bytes
  }

  /** Bytes held outside the JS heap: the index, the columns and the arena. */
  get byteLength (): number {
    return this.#index.byteLength + this.#chunks.length * Chunk.bytes + this.#arena.length * ARENA_CHUNK
  }

  #chunk (record: number): Chunk { return this.#chunks[record >>> CHUNK_BITS]! }

  #newRecord (): number {
    if (this.#records === this.#chunks.length * CHUNK) this.#chunks.push(new Chunk())
    return this.#records++
  }

  #rehash (slots: number): void {
    this.#index = new Int32Array(slots)
    const mask = slots - 1
    for (let record = 0; record < this.#records; record++) {
      if (this.#chunk(record).used[record & IN_CHUNK] !== 1) continue
      let slot = this.#homeOf(record)
      while (this.#index[slot] !== 0) slot = (slot + 1) & mask
      this.#index[slot] = record + 1
    }
  }

  /**
   * Opens a new arena chunk, first compacting the arena when half of what it holds is space that
   * removed or replaced details freed.
   */
  #nextArenaChunk (): void {
    const written = Math.max(0, this.#arena.length - 1) * ARENA_CHUNK + this.#arenaEnd
    if (this.#arenaGarbage * 2 >= written && this.#arena.length > 0) {
      const old = this.#arena
      this.#arena = [Buffer.alloc(ARENA_CHUNK)]
      this.#arenaEnd = 0
      this.#arenaGarbage = 0
      for (let record = 0; record < this.#records; record++) {
        const chunk = this.#chunk(record)
        const i = record & IN_CHUNK
        const bytes = chunk.detailBytes[i]!
        if (bytes === 0 || bytes === LARGE) continue
        if (this.#arenaEnd + bytes > ARENA_CHUNK) {
          this.#arena.push(Buffer.alloc(ARENA_CHUNK))
          this.#arenaEnd = 0
        }
        const start = chunk.detailStart[i]!
        const offset = start % ARENA_CHUNK
        old[(start - offset) / ARENA_CHUNK]!.copy(this.#arena[this.#arena.length - 1]!, this.#arenaEnd, offset, offset + bytes)
        chunk.detailStart[i] = (this.#arena.length - 1) * ARENA_CHUNK + this.#arenaEnd
        this.#arenaEnd += bytes
      }
      return
    }
    this.#arena.push(Buffer.alloc(ARENA_CHUNK))
    this.#arenaEnd = 0
  }

  /** The id's four words, in a reused array; apply's find-then-insert parses each new id once. */
  #parse (id: string): Uint32Array {
    if (id !== this.#parsed) uuidWords(id, this.#scratch)
    this.#parsed = id
    return this.#scratch
  }

  #matches (record: number, key: Uint32Array): boolean {
    const keys = this.#chunk(record).keys
    const at = (record & IN_CHUNK) * 4
    return keys[at] === key[0] && keys[at + 1] === key[1] && keys[at + 2] === key[2] && keys[at + 3] === key[3]
  }

  #homeOf (record: number): number {
    const keys = this.#chunk(record).keys
    const at = (record & IN_CHUNK) * 4
    return murmur3Words(this.#seed, keys[at]!, keys[at + 1]!, keys[at + 2]!, keys[at + 3]!) & (this.#index.length - 1)
  }
}
