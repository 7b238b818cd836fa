/**
 * Pre-tokenising without the split regex, for the patterns of the cl100k family:
 *
 *   '(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE])   contractions
 *   [^\r\n\p{L}\p{N}]?\p{L}+                              a word, with one leading non-letter
 *   \p{N}{1,3}                                            digits (Qwen2: one at a time)
 *    ?[^\s\p{L}\p{N}]+[\r\n]*                             punctuation, then newlines
 *   \s*[\r\n]+ | \s+(?!\S) | \s+                          whitespace
 *
 * (gpt-tokenizer's cl100k pattern starts the whitespace alternatives with `\s+$`: a run of white space that
 * ends the text is one pre-token, newlines or not.) With `caseWords`, it splits as o200k's pattern does, whose
 * words break where lower case turns to upper case and take a contraction as their suffix.
 *
 * cl100k, Llama-3 (also DeepSeek-V3 and ProLong) and Qwen2 split this way. The regex costs most of the
 * time of a cold pack: the engine tries the alternatives one by one at every position and allocates a
 * match for every pre-token. This scanner decides each pre-token from the class of its first one or two
 * characters, and hands out positions instead of strings. The classes are JavaScript's: `\s` is
 * ECMAScript white space plus line terminators, `\p{L}` and `\p{N}` are Unicode's, and a lone surrogate is
 * none of them; the tests check the splits against the regex.
 */

const LETTER = 1;
const NUMBER = 2;
/** `\r` or `\n`. */
const NEWLINE = 3;
/** `\s` other than `\r` and `\n`. */
const SPACE = 4;
const OTHER = 5;
/** Added to a class when its character takes two code units (a surrogate pair). */
const WIDE = 8;

const LETTER_PATTERN = /^\p{L}$/u;
const NUMBER_PATTERN = /^\p{N}$/u;
const SPACE_PATTERN = /^\s$/u;

function classify(codePoint: number): number {
  if (codePoint === 10 || codePoint === 13) return NEWLINE;
  const char = String.fromCodePoint(codePoint);
  if (LETTER_PATTERN.test(char)) return LETTER;
  if (NUMBER_PATTERN.test(char)) return NUMBER;
  if (SPACE_PATTERN.test(char)) return SPACE;
  return OTHER;
}

/** Classes of the code units outside surrogates, filled as they are met (0: not yet known). */
const unitClasses = new Uint8Array(0x10000);
for (let unit = 0; unit < 128; unit++) unitClasses[unit] = classify(unit);

/** The class at `at` (beyond ASCII), plus `WIDE` when a surrogate pair makes one code point there. */
function wideClass(text: string, at: number, unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) {
    const codePoint = pairAt(text, at, unit);
    // A lone surrogate matches none of \s, \p{L} and \p{N}.
    return codePoint < 0 ? OTHER : classify(codePoint) + WIDE;
  }
  let known = unitClasses[unit]!;
  if (known === 0) known = unitClasses[unit] = classify(unit);
  return known;
}

/** The code point of the surrogate pair at `at` (whose first code unit is `unit`), or -1 for a lone surrogate. */
function pairAt(text: string, at: number, unit: number): number {
  const low = unit <= 0xdbff && at + 1 < text.length ? text.charCodeAt(at + 1) : 0;
  return low < 0xdc00 || low > 0xdfff ? -1 : ((unit - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
}

/** The class of the code point at `at`, with `WIDE` added for a surrogate pair. */
function classAt(text: string, at: number): number {
  const unit = text.charCodeAt(at);
  return unit < 128 ? unitClasses[unit]! : wideClass(text, at, unit);
}

/** The end of the run of code points of class `kind` that starts at `at`. */
function runEnd(text: string, at: number, kind: number): number {
  const length = text.length;
  while (at < length) {
    const unit = text.charCodeAt(at);
    if (unit < 128) {
      if (unitClasses[unit] !== kind) break;
      at++;
    } else {
      const info = wideClass(text, at, unit);
      if ((info & 7) !== kind) break;
      at += info >= WIDE ? 2 : 1;
    }
  }
  return at;
}

/** `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d` in any case at `at` (an apostrophe): their length, else 0. */
function contraction(text: string, at: number): number {
  const first = text.charCodeAt(at + 1) | 32;
  if (first === 115 || first === 116 || first === 109 || first === 100) return 2;
  const second = text.charCodeAt(at + 2) | 32;
  if ((first === 108 && second === 108) || (first === 118 && second === 101) || (first === 114 && second === 101)) return 3;
  return 0;
}

/** How a pattern of the family differs from cl100k's. */
export interface SplitStyle {
  /** Digits per number pre-token: 3 (cl100k, Llama-3) or 1 (Qwen2). */
  readonly maxDigits: number;
  /** A run of white space that ends the text is one pre-token (`\s+$` first, as gpt-tokenizer's cl100k). */
  readonly wholeFinalSpace: boolean;
  /**
   * o200k's words (`o200kWord`), which break where lower case turns to upper case and keep a contraction as
   * their suffix; its punctuation also takes the slashes after it (`[\r\n/]*`).
   */
  readonly caseWords?: boolean;
}

/** Calls `visit(start, end)` for each pre-token of `text` in order, as the pattern of `style` splits it. */
export function forEachPreToken(text: string, style: SplitStyle, visit: (start: number, end: number) => void): void {
  const { maxDigits, wholeFinalSpace } = style;
  const caseWords = style.caseWords === true;
  const length = text.length;
  let at = 0;
  while (at < length) {
    const unit = text.charCodeAt(at);
    const info = unit < 128 ? unitClasses[unit]! : wideClass(text, at, unit);
    const kind = info & 7;
    const next = at + (info >= WIDE ? 2 : 1);
    let end: number;
    if (caseWords) {
      end = o200kWord(text, at, info);
    } else if (unit === 39 && at + 1 < length && (end = contraction(text, at)) > 0) {
      end += at;
    } else if (kind === LETTER) {
      end = runEnd(text, next, LETTER);
    } else if (kind !== NEWLINE && kind !== NUMBER && next < length && (classAt(text, next) & 7) === LETTER) {
      end = runEnd(text, next, LETTER);
    } else {
      end = -1;
    }
    if (end < 0) {
      if (kind === NUMBER) end = numberEnd(text, next, maxDigits);
      else if ((end = punctuationEnd(text, unit, kind, next, caseWords)) < 0) end = whitespaceEnd(text, at, wholeFinalSpace);
    }
    visit(at, end);
    at = end;
  }
}

/** The end of `\p{N}{1,maxDigits}` whose first code point ends at `next`. */
function numberEnd(text: string, next: number, maxDigits: number): number {
  let end = next;
  for (let digits = 1; digits < maxDigits && end < text.length; digits++) {
    const more = classAt(text, end);
    if ((more & 7) !== NUMBER) break;
    end += more >= WIDE ? 2 : 1;
  }
  return end;
}

/**
 * The end of ` ?[^\s\p{L}\p{N}]+[\r\n]*` (`[\r\n/]*` with `slashes`, as o200k) at the code point `unit` of class
 * `kind` that ends at `next`, or -1 when none starts there.
 */
function punctuationEnd(text: string, unit: number, kind: number, next: number, slashes: boolean): number {
  const length = text.length;
  if (kind !== OTHER && !(unit === 32 && next < length && (classAt(text, next) & 7) === OTHER)) return -1;
  let end = runEnd(text, kind === OTHER ? next : next + (classAt(text, next) >= WIDE ? 2 : 1), OTHER);
  for (let c = text.charCodeAt(end); end < length && (c === 10 || c === 13 || (slashes && c === 47)); c = text.charCodeAt(end)) end++;
  return end;
}

/**
 * The end of the whitespace pre-token at `at`: through the last newline of the run when it has one, else
 * up to the run's last character when a non-space follows (that character may join the next word), else
 * the whole run.
 */
function whitespaceEnd(text: string, at: number, wholeFinalSpace: boolean): number {
  const length = text.length;
  let lastNewline = -1;
  let end = at;
  while (end < length) {
    const unit = text.charCodeAt(end);
    const kind = unit < 128 ? unitClasses[unit]! : wideClass(text, end, unit) & 7;
    if (kind === NEWLINE) lastNewline = end;
    else if (kind !== SPACE) break;
    end++; // white space is never a surrogate pair
  }
  if (end === length && wholeFinalSpace) return end;
  if (lastNewline >= 0) return lastNewline + 1;
  if (end === length) return end;
  return end - at >= 2 ? end - 1 : end;
}

/** o200k's word classes: `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` and `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`. */
const UPPERISH = 1;
const LOWERISH = 2;
const KNOWN_CASE = 4;
const UPPERISH_PATTERN = /^[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]$/u;
const LOWERISH_PATTERN = /^[\p{Ll}\p{Lm}\p{Lo}\p{M}]$/u;
const unitCases = new Uint8Array(0x10000);

function caseOf(codePoint: number): number {
  const char = String.fromCodePoint(codePoint);
  return (UPPERISH_PATTERN.test(char) ? UPPERISH : 0) | (LOWERISH_PATTERN.test(char) ? LOWERISH : 0);
}

/** The word classes of the code point at `at`, plus `WIDE` for a surrogate pair. */
function caseAt(text: string, at: number): number {
  const unit = text.charCodeAt(at);
  if (unit >= 0xd800 && unit <= 0xdfff) {
    const codePoint = pairAt(text, at, unit);
    return codePoint < 0 ? 0 : caseOf(codePoint) | WIDE;
  }
  let known = unitCases[unit]!;
  if (known === 0) known = unitCases[unit] = caseOf(unit) | KNOWN_CASE;
  return known & 3;
}

/** The end of the run of code points in word class `wanted` that starts at `at`. */
function caseRunEnd(text: string, at: number, wanted: number): number {
  while (at < text.length) {
    const info = caseAt(text, at);
    if (!(info & wanted)) break;
    at += info >= WIDE ? 2 : 1;
  }
  return at;
}

/**
 * `[UPPERISH]*[LOWERISH]+` at `start`, as a backtracking engine matches it: the upper-case run as long as it
 * can be while a lower-case character still follows. Returns the end, or -1.
 */
function upperThenLower(text: string, start: number): number {
  let at = start;
  let lastLowerEnd = -1;
  while (at < text.length) {
    const info = caseAt(text, at);
    if (!(info & UPPERISH)) break;
    const width = info >= WIDE ? 2 : 1;
    if (info & LOWERISH) lastLowerEnd = at + width;
    at += width;
  }
  if (at < text.length && caseAt(text, at) & LOWERISH) return caseRunEnd(text, at, LOWERISH);
  // Back into the upper-case run: its last character that is also lower-case ends the match.
  return lastLowerEnd;
}

/** `end` extended by a contraction (`'s`, `'T`, `'ll`…) that follows it. */
function withContraction(text: string, end: number): number {
  if (text.charCodeAt(end) !== 39 || end + 1 >= text.length) return end;
  return end + contraction(text, end);
}

/**
 * The end of a word of o200k's pattern at `at` (its first two alternatives), or -1:
 *   [^\r\n\p{L}\p{N}]?[UPPERISH]*[LOWERISH]+(?:'contraction)?
 *   [^\r\n\p{L}\p{N}]?[UPPERISH]+[LOWERISH]*(?:'contraction)?
 */
function o200kWord(text: string, at: number, info: number): number {
  const kind = info & 7;
  const afterPrefix = kind === SPACE || kind === OTHER ? at + (info >= WIDE ? 2 : 1) : -1;
  for (const start of [afterPrefix, at]) {
    if (start < 0 || start >= text.length) continue;
    const end = upperThenLower(text, start);
    if (end >= 0) return withContraction(text, end);
  }
  for (const start of [afterPrefix, at]) {
    if (start < 0 || start >= text.length) continue;
    const upperEnd = caseRunEnd(text, start, UPPERISH);
    if (upperEnd > start) return withContraction(text, caseRunEnd(text, upperEnd, LOWERISH));
  }
  return -1;
}
