import { NO_TOKEN, type RankTable } from './rankTable.js';

/**
 * Counting the tokens of one pre-token by byte-pair merges over a tiktoken-style rank table: start from
 * single bytes, and while some two neighbouring parts join into a token, join the pair whose token has
 * the lowest rank (the leftmost on a tie); a pre-token that is itself a token counts one. This is
 * tiktoken's algorithm and gpt-tokenizer's, which stays our reference: the tests compare the counts of
 * every distinct pre-token of a real repository.
 *
 * Why not the library's own `countNative`: for every pair it looks up, it copies the bytes, checks that
 * they are valid UTF-8 and decodes them to a string. That made 6-13 us per new pre-token, and a cold
 * pack of django meets ~150 K of them per thread. Here the bytes go into one reusable array, ranges of it
 * are looked up in a hash table of the vocabulary (rankTable.ts), and joins already looked up are
 * remembered by their two tokens: ~2-3 us, most of it waiting for memory.
 */
export class BytePairCounter {
  /** The rank of each single byte. */
  private readonly byteRanks = new Int32Array(256);
  /** The pre-token's bytes; where each part starts (the last entry is the end), each part's token, and the rank of each part joined with the next. */
  private bytes = new Uint8Array(256);
  private starts = new Int32Array(256);
  private parts = new Int32Array(256);
  private joins = new Int32Array(256);
  /**
   * Joins already looked up, by the two tokens joined: most pairs recur across pre-tokens, and a lookup here
   * hashes two integers where the rank table hashes the bytes. Open addressing; `left + 1` (0: empty).
   */
  private readonly pairs = new Int32Array(PAIR_SLOTS * 3);
  private pairsKept = 0;

  /**
   * @param longPiece pre-tokens of more bytes than this are merged with a heap (n log n): the plain merge scans
   *   every part for each join, which for a 40 KB run of letters (minified or generated files) already took 2 s.
   */
  constructor(private readonly table: RankTable, private readonly longPiece = 128) {
    for (let byte = 0; byte < 256; byte++) this.byteRanks[byte] = table.rank(Uint8Array.of(byte), 0, 1);
  }

  /** The number of tokens of `piece`, one pre-token. */
  count(piece: string): number {
    let length = piece.length;
    if (this.bytes.length < length * 3) this.grow(length * 3);
    const bytes = this.bytes;
    let ascii = true;
    for (let i = 0; i < length; i++) {
      const unit = piece.charCodeAt(i);
      if (unit > 127) {
        ascii = false;
        break;
      }
      bytes[i] = unit;
    }
    // A lone surrogate is encoded as U+FFFD, as TextEncoder does; such text is never one token as it stands.
    if (!ascii) length = encoder.encodeInto(piece, bytes).written;
    if (length === 0) return 0;
    if (length === 1 || ((ascii || !LONE_SURROGATE.test(piece)) && this.table.rank(bytes, 0, length) !== NO_TOKEN)) return 1;
    return length > this.longPiece ? this.mergeLong(length) : this.merge(length);
  }

  private grow(size: number): void {
    this.bytes = new Uint8Array(size);
    // Only the plain merge uses these: a long pre-token does not leave them megabytes large.
    const parts = Math.min(size, this.longPiece) + 1;
    if (parts <= this.starts.length) return;
    this.starts = new Int32Array(parts);
    this.parts = new Int32Array(parts);
    this.joins = new Int32Array(parts);
  }

  /** Merges the first `length` bytes of `this.bytes`; returns how many parts are left. */
  private merge(length: number): number {
    const { bytes, starts, parts, joins, byteRanks } = this;
    for (let i = 0; i < length; i++) {
      starts[i] = i;
      parts[i] = byteRanks[bytes[i]!]!;
    }
    starts[length] = length;
    for (let i = 0; i < length - 1; i++) joins[i] = this.join(parts[i]!, parts[i + 1]!, i, i + 2);
    let count = length;
    while (count > 1) {
      let lowest = NO_TOKEN;
      let at = -1;
      for (let i = 0; i < count - 1; i++) {
        if (joins[i]! < lowest) {
          lowest = joins[i]!;
          at = i;
        }
      }
      if (at < 0) break;
      // Parts `at` and `at + 1` become one: the token ranked `lowest`.
      parts[at] = lowest;
      for (let i = at + 1; i < count; i++) {
        starts[i] = starts[i + 1]!;
        parts[i] = parts[i + 1]!;
      }
      for (let i = at; i < count - 2; i++) joins[i] = joins[i + 1]!;
      count--;
      if (at < count - 1) joins[at] = this.join(lowest, parts[at + 1]!, starts[at]!, starts[at + 2]!);
      if (at > 0) joins[at - 1] = this.join(parts[at - 1]!, lowest, starts[at - 1]!, starts[at + 1]!);
    }
    return count;
  }

  /**
   * The same merge for a long pre-token: the parts are a linked list, and the candidate joins wait in a heap
   * ordered by rank, then position (the leftmost of equal ranks first, as in the plain merge). A join is
   * pushed again whenever it changes, so an entry that no longer matches its part's current join is skipped.
   */
  private mergeLong(length: number): number {
    const { bytes, byteRanks } = this;
    const next = new Int32Array(length);
    const previous = new Int32Array(length);
    const parts = new Int32Array(length);
    const joins = new Int32Array(length).fill(NO_TOKEN);
    const heap = new JoinHeap(length * 3);
    for (let i = 0; i < length; i++) {
      next[i] = i + 1;
      previous[i] = i - 1;
      parts[i] = byteRanks[bytes[i]!]!;
    }
    for (let i = 0; i + 1 < length; i++) {
      joins[i] = this.join(parts[i]!, parts[i + 1]!, i, i + 2);
      if (joins[i] !== NO_TOKEN) heap.push(joins[i]!, i);
    }
    let count = length;
    while (heap.size > 0) {
      const rank = heap.topRank();
      const at = heap.pop();
      if (joins[at] !== rank) continue; // stale: this part joined, was joined, or its join changed
      const joined = next[at]!;
      const after = next[joined]!;
      parts[at] = rank;
      joins[joined] = NO_TOKEN;
      next[at] = after;
      if (after < length) previous[after] = at;
      count--;
      joins[at] = after < length ? this.join(rank, parts[after]!, at, next[after]!) : NO_TOKEN;
      if (joins[at] !== NO_TOKEN) heap.push(joins[at]!, at);
      const before = previous[at]!;
      if (before >= 0) {
        joins[before] = this.join(parts[before]!, rank, before, after);
        if (joins[before] !== NO_TOKEN) heap.push(joins[before]!, before);
      }
    }
    return count;
  }

  /** The rank of the token made of tokens `left` and `right` (the bytes from `start` to `end`), or `NO_TOKEN`. */
  private join(left: number, right: number, start: number, end: number): number {
    const pairs = this.pairs;
    let slot = (Math.imul(left ^ Math.imul(right, 0x85ebca6b), 0x9e3779b1) >>> PAIR_SHIFT) * 3;
    for (let stored = pairs[slot]!; stored !== 0; stored = pairs[slot]!) {
      if (stored === left + 1 && pairs[slot + 1] === right) return pairs[slot + 2]!;
      slot = slot + 3 === pairs.length ? 0 : slot + 3;
    }
    const rank = this.table.rank(this.bytes, start, end);
    if (this.pairsKept >= PAIR_SLOTS / 2) {
      pairs.fill(0);
      this.pairsKept = 0;
      slot = (Math.imul(left ^ Math.imul(right, 0x85ebca6b), 0x9e3779b1) >>> PAIR_SHIFT) * 3;
    }
    pairs[slot] = left + 1;
    pairs[slot + 1] = right;
    pairs[slot + 2] = rank;
    this.pairsKept++;
    return rank;
  }
}

/** A binary min-heap of (rank, position) pairs. */
class JoinHeap {
  private readonly ranks: Int32Array;
  private readonly positions: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.ranks = new Int32Array(capacity);
    this.positions = new Int32Array(capacity);
  }

  topRank(): number {
    return this.ranks[0]!;
  }

  push(rank: number, position: number): void {
    const { ranks, positions } = this;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(rank, position, ranks[parent]!, positions[parent]!)) break;
      ranks[i] = ranks[parent]!;
      positions[i] = positions[parent]!;
      i = parent;
    }
    ranks[i] = rank;
    positions[i] = position;
  }

  /** Removes the smallest pair; returns its position. */
  pop(): number {
    const { ranks, positions } = this;
    const top = positions[0]!;
    const size = --this.size;
    const rank = ranks[size]!;
    const position = positions[size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && before(ranks[child + 1]!, positions[child + 1]!, ranks[child]!, positions[child]!)) child++;
      if (!before(ranks[child]!, positions[child]!, rank, position)) break;
      ranks[i] = ranks[child]!;
      positions[i] = positions[child]!;
      i = child;
    }
    ranks[i] = rank;
    positions[i] = position;
    return top;
  }
}

function before(rank: number, position: number, otherRank: number, otherPosition: number): boolean {
  return rank < otherRank || (rank === otherRank && position < otherPosition);
}

/** Slots of the table of joins (a power of two): 3 MB, kept at most half full. */
const PAIR_SHIFT = 14;
const PAIR_SLOTS = 2 ** (32 - PAIR_SHIFT);

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
