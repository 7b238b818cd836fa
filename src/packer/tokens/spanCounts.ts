/**
 * Counts of pre-tokens, looked up by where they are in a text. Code repeats its words, so nearly every
 * pre-token was counted before; a `Map` from string to count would first need each one cut out of the
 * text as a new string, then hashed. Here the characters are hashed and compared in place, against keys
 * copied into one character array (a string key cut from a file's text would keep that whole text alive).
 */
export class SpanCounts {
  /** Per slot: hash, offset of the key in `chars` plus one (0: empty), key length, count. */
  private readonly slots = new Int32Array(SLOTS * 4);
  private readonly chars = new Uint16Array(MAX_CHARS);
  private charsUsed = 0;
  private kept = 0;

  constructor(private readonly countPiece: (piece: string) => number) {}

  /** The count of `text` from `start` to `end`. */
  count(text: string, start: number, end: number): number {
    const length = end - start;
    if (length > MAX_KEY) return this.countPiece(text.slice(start, end));
    let hash = length;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    hash ^= hash >>> 15;
    const { slots, chars } = this;
    let slot = (hash & (SLOTS - 1)) * 4;
    for (let offset = slots[slot + 1]!; offset !== 0; offset = slots[slot + 1]!) {
      if (slots[slot] === hash && slots[slot + 2] === length && sameChars(chars, offset - 1, text, start, length)) return slots[slot + 3]!;
      slot = (slot + 4) & (SLOTS * 4 - 1);
    }
    const count = this.countPiece(text.slice(start, end));
    if (this.kept >= MAX_KEPT || this.charsUsed + length > MAX_CHARS) {
      slots.fill(0);
      this.kept = 0;
      this.charsUsed = 0;
      slot = (hash & (SLOTS - 1)) * 4;
    }
    const offset = this.charsUsed;
    for (let i = 0; i < length; i++) chars[offset + i] = text.charCodeAt(start + i);
    this.charsUsed += length;
    this.kept++;
    slots[slot] = hash;
    slots[slot + 1] = offset + 1;
    slots[slot + 2] = length;
    slots[slot + 3] = count;
    return count;
  }
}

/** Slots of the table (a power of two), kept at most half full: 2 MB. */
const SLOTS = 2 ** 17;
const MAX_KEPT = SLOTS / 2;
/** Longer pre-tokens rarely repeat: counted without being kept. */
const MAX_KEY = 256;
/** Characters of all keys kept (2 MB); the table starts over when they are used up. */
const MAX_CHARS = 2 ** 20;

function sameChars(chars: Uint16Array, offset: number, text: string, start: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (chars[offset + i] !== text.charCodeAt(start + i)) return false;
  return true;
}
