import type { RawBytePairRanks } from 'gpt-tokenizer/BytePairEncodingCore';

/** Above every rank (and a small integer, so typed arrays and comparisons stay on integers). */
export const NO_TOKEN = 0x3fffffff;

/** Version tag of the packed form (the build writes it to `dist/ranks/<name>.bin`). */
const PACKED_MAGIC = 0x3252524c; // "LRR2"

/**
 * A tiktoken-style vocabulary: each token's bytes by rank, and an open-addressing hash table from bytes to
 * rank that is looked up with a range of a byte array, so byte-pair merging makes no strings. A `Map` of
 * byte strings did the same job, but filling it took ~25 ms per thread on top of ~50 ms to load
 * gpt-tokenizer's table as JavaScript; the packed form, hash table included, loads in a few milliseconds.
 */
export class RankTable {
  /** `rank + 1` per slot (0: empty); a power of two in size. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  private constructor(
    /** Every token's bytes, in rank order. */
    private readonly bytes: Uint8Array,
    /** Where each rank's bytes start in `bytes`; the next entry is where they end (empty: an unused rank). */
    private readonly starts: Int32Array,
    /** The hash table as packed; made here when not given. */
    packedSlots?: Int32Array,
  ) {
    this.slots = packedSlots ?? new Int32Array(slotCount(starts.length - 1));
    this.mask = this.slots.length - 1;
    if (!packedSlots) this.fill();
  }

  private fill(): void {
    const { bytes, starts, slots } = this;
    for (let rank = 0; rank < starts.length - 1; rank++) {
      const start = starts[rank]!;
      const end = starts[rank + 1]!;
      if (end === start) continue;
      let slot = hashBytes(bytes, start, end) & this.mask;
      for (let stored = slots[slot]!; stored !== 0; stored = slots[slot]!) {
        if (this.same(stored - 1, bytes, start, end)) break; // the same bytes again: the later rank wins
        slot = (slot + 1) & this.mask;
      }
      slots[slot] = rank + 1;
    }
  }

  /** From gpt-tokenizer's form: each rank's token as a string (its UTF-8 decoding) or an array of bytes. */
  static fromTokens(table: RawBytePairRanks): RankTable {
    const encoded = table.map((token) => (typeof token === 'string' ? Buffer.from(token, 'utf8') : Uint8Array.from(token)));
    const starts = new Int32Array(encoded.length + 1);
    encoded.forEach((token, rank) => (starts[rank + 1] = starts[rank]! + token.length));
    const bytes = new Uint8Array(starts[encoded.length]!);
    encoded.forEach((token, rank) => bytes.set(token, starts[rank]!));
    return new RankTable(bytes, starts);
  }

  /** From `pack`'s output; undefined when `packed` is not one (of this version). */
  static unpack(packed: Uint8Array): RankTable | undefined {
    if (packed.byteLength < 8) return undefined;
    const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
    const tokens = view.getUint32(4, true);
    const slots = slotCount(tokens);
    const head = 8 + (tokens + slots) * 4;
    if (view.getUint32(0, true) !== PACKED_MAGIC || packed.byteLength < head) return undefined;
    const starts = new Int32Array(tokens + 1);
    for (let rank = 0; rank < tokens; rank++) starts[rank + 1] = starts[rank]! + view.getUint32(8 + rank * 4, true);
    const bytes = packed.subarray(head);
    if (bytes.length !== starts[tokens]) return undefined;
    if (!LITTLE_ENDIAN) return new RankTable(bytes, starts); // the packed hash table is little-endian: make one
    const at = packed.byteOffset + 8 + tokens * 4;
    const table = at % 4 === 0 ? new Int32Array(packed.buffer, at, slots) : new Int32Array(packed.buffer.slice(at, at + slots * 4));
    return new RankTable(bytes, starts, table);
  }

  /** The table as bytes: magic, token count, each token's length (u32 LE), the hash table (i32 LE), every token's bytes. */
  pack(): Buffer {
    const tokens = this.starts.length - 1;
    const head = Buffer.alloc(8 + tokens * 4);
    head.writeUInt32LE(PACKED_MAGIC, 0);
    head.writeUInt32LE(tokens, 4);
    for (let rank = 0; rank < tokens; rank++) head.writeUInt32LE(this.starts[rank + 1]! - this.starts[rank]!, 8 + rank * 4);
    return Buffer.concat([head, Buffer.from(this.slots.buffer, this.slots.byteOffset, this.slots.byteLength), this.bytes]);
  }

  /** The rank of the token made of `piece` from `start` to `end`, or `NO_TOKEN`. */
  rank(piece: Uint8Array, start: number, end: number): number {
    let slot = hashBytes(piece, start, end) & this.mask;
    for (let stored = this.slots[slot]!; stored !== 0; stored = this.slots[slot]!) {
      if (this.same(stored - 1, piece, start, end)) return stored - 1;
      slot = (slot + 1) & this.mask;
    }
    return NO_TOKEN;
  }

  private same(rank: number, piece: Uint8Array, start: number, end: number): boolean {
    const from = this.starts[rank]!;
    if (this.starts[rank + 1]! - from !== end - start) return false;
    for (let i = start; i < end; i++) if (this.bytes[from + i - start] !== piece[i]) return false;
    return true;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Slots of the hash table for `tokens` tokens: a power of two, at least twice as many. */
function slotCount(tokens: number): number {
  let size = 1024;
  while (size < tokens * 2) size *= 2;
  return size;
}

function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = end - start;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash ^ (hash >>> 15);
}
