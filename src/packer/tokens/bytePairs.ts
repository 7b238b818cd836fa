import type { RawBytePairRanks } from 'gpt-tokenizer/BytePairEncodingCore';

/**
 * Counting the tokens of one pre-token by byte-pair merges over a tiktoken-style rank table: start from
 * single bytes, and while some two neighbouring parts join into a token, join the pair whose token has
 * the lowest rank (the leftmost on a tie); a pre-token that is itself a token counts one. This is
 * tiktoken's algorithm and gpt-tokenizer's, which stays our reference: the tests compare the counts of
 * every distinct pre-token of a real repository.
 *
 * Why not the library's own `countNative`: for every pair it looks up, it copies the bytes, checks that
 * they are valid UTF-8 and decodes them to a string. That made 6-13 us per new pre-token, and a cold
 * pack of django meets ~150 K of them per thread. Here the bytes are kept as a one-byte string (one
 * character per byte, so a pair is a `slice`), looked up in one map of every token: ~3 us.
 */
export class BytePairCounter {
  /** Every token's bytes, one character per byte, to its rank. */
  private readonly ranks = new Map<string, number>();
  /** Where each part starts (the last entry is the end), and the rank of each part joined with the next. */
  private starts = new Int32Array(64);
  private joins = new Int32Array(64);

  constructor(table: RawBytePairRanks) {
    table.forEach((token, rank) => {
      const bytes = typeof token === 'string' && isAscii(token) ? token : Buffer.from(token).toString('latin1');
      if (bytes.length > 0) this.ranks.set(bytes, rank);
    });
  }

  /** The number of tokens of `piece`, one pre-token. */
  count(piece: string): number {
    if (isAscii(piece)) return this.merge(piece, true);
    // A lone surrogate is encoded as U+FFFD, as TextEncoder does; such text is never one token as it stands.
    return this.merge(Buffer.from(piece, 'utf8').toString('latin1'), !LONE_SURROGATE.test(piece));
  }

  private merge(bytes: string, whole: boolean): number {
    const length = bytes.length;
    if (length === 0) return 0;
    if (length === 1 || (whole && this.ranks.has(bytes))) return 1;
    if (this.starts.length <= length) {
      this.starts = new Int32Array(length * 2);
      this.joins = new Int32Array(length * 2);
    }
    const { starts, joins } = this;
    for (let i = 0; i < length - 1; i++) {
      starts[i] = i;
      joins[i] = this.rankOf(bytes, i, i + 2);
    }
    starts[length - 1] = length - 1;
    starts[length] = length;
    let parts = length;
    while (parts > 1) {
      let lowest = NO_TOKEN;
      let at = -1;
      for (let i = 0; i < parts - 1; i++) {
        if (joins[i]! < lowest) {
          lowest = joins[i]!;
          at = i;
        }
      }
      if (at < 0) break;
      // Parts `at` and `at + 1` become one.
      for (let i = at + 1; i < parts; i++) starts[i] = starts[i + 1]!;
      for (let i = at; i < parts - 2; i++) joins[i] = joins[i + 1]!;
      parts--;
      if (at < parts - 1) joins[at] = this.rankOf(bytes, starts[at]!, starts[at + 2]!);
      if (at > 0) joins[at - 1] = this.rankOf(bytes, starts[at - 1]!, starts[at + 1]!);
    }
    return parts;
  }

  private rankOf(bytes: string, start: number, end: number): number {
    const rank = this.ranks.get(bytes.slice(start, end));
    return rank === undefined ? NO_TOKEN : rank;
  }
}

/** Above every rank (and a small integer, so the typed arrays and comparisons stay on integers). */
const NO_TOKEN = 0x3fffffff;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
