/**
 * Counting rendered prompts line by line, with a memo of line counts.
 *
 * For tiktoken-style pre-tokenisers (cl100k, o200k, Llama-3, Qwen2) no pre-token crosses:
 * - a line start whose line has a non-space character before the next newline: the newline patterns
 *   (`\s*[\r\n]`, `[\r\n]*` after punctuation) end a token right after the last newline of a
 *   whitespace run, and no pattern lets a newline precede a non-space character in one token;
 * - the end of a run of ASCII digits followed by a space or a newline: digits form their own pre-tokens.
 * BPE works inside pre-tokens, so the count of a text is the sum of the counts of these pieces. Code
 * repeats its lines ("  }", "});", licence headers) and line numbers repeat across files, so a memo
 * of piece counts skips most of the regex and BPE work. The tests compare against whole-text counts.
 *
 * Used where the split is a regex (o200k). The cl100k family is split by a scanner (preTokens.ts), cheap
 * enough that hashing whole lines would cost more than it saves.
 */

/** Pieces longer than this rarely repeat: count them without keeping them. */
const MAX_MEMO_PIECE = 256;

/**
 * @param slashJoins the split pattern lets punctuation absorb following newlines and slashes
 *   (o200k: `[\r\n/]*`), so a line starting with `/` may continue the previous line's token.
 */
export function memoizedLineCounter(countPiece: (text: string) => number, slashJoins: boolean, maxEntries = 100_000): (text: string) => number {
  let memo = new Map<string, number>();
  const countMemo = (piece: string): number => {
    if (piece.length > MAX_MEMO_PIECE) return countPiece(piece);
    let n = memo.get(piece);
    if (n === undefined) {
      n = countPiece(piece);
      if (memo.size >= maxEntries) memo = new Map();
      memo.set(piece, n);
    }
    return n;
  };
  return (text) => {
    let total = 0;
    let start = 0;
    const length = text.length;
    while (start < length) {
      let digits = start;
      while (digits < length && text.charCodeAt(digits) >= 48 && text.charCodeAt(digits) <= 57) digits++;
      if (digits > start && digits < length && (text.charCodeAt(digits) === 32 || text.charCodeAt(digits) === 10)) {
        total += countMemo(text.slice(start, digits));
        start = digits;
      }
      let end = length;
      for (let from = start; ;) {
        const newline = text.indexOf('\n', from);
        if (newline < 0) break;
        let next = newline + 1;
        while (next < length && isSpace(text.charCodeAt(next))) next++;
        // Blank and space-only lines join the whitespace run; a run reaching the end of the text is one token.
        if (next >= length) break;
        end = text.lastIndexOf('\n', next - 1) + 1;
        if (!(slashJoins && text.charCodeAt(end) === 47)) break;
        from = end;
        end = length;
      }
      total += countMemo(text.slice(start, end));
      start = end;
    }
    return total;
  };
}

/** The characters of JavaScript's `\s`, which the split patterns use. */
function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 160) return false;
  return c === 160 || c === 5760 || (c >= 8192 && c <= 8202) || c === 8232 || c === 8233 || c === 8239 || c === 8287 || c === 12288 || c === 65279;
}
