/**
 * Words for lexical ranking: Unicode-aware splitting, camelCase/snake_case parts, English stemming.
 * The same function turns file text and questions into terms, so both sides meet.
 */
import { stem } from 'porter2';

/** Separators between the raw words of code and prose: anything but letters, digits, `_` and `$`, in any script. */
const NON_WORD = /[^\p{L}\p{M}\p{N}_$]+/u;
/** The same for ASCII only, counting every non-ASCII character as a letter. */
const ASCII_NON_WORD = /[^A-Za-z0-9_$\u0080-\uffff]+/;
const NON_ASCII = /[^\x00-\x7f]/;
/** The parts of one word: `maxRetryCount` → max, Retry, Count; `HTTPServer` → HTTP, Server; `get_or_create` → get, or, create. */
const PART = /\p{Lu}+(?![\p{Ll}\p{Lo}])|\p{Lu}?[\p{Ll}\p{Lo}\p{Lm}\p{M}]+|\p{Lu}+|\p{N}+/gu;
/** Latin letters only: the English stemmer is applied to these and nothing else. */
const LATIN = /^[a-z]+$/;

/** English function words and question words: they say how a developer asks, not what about. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been being but by can could did do does doing done for from had has have how i if in into is it ' +
    'its me my no not of on or our should so such than that the their them then there these they this those to too us was ' +
    'we were what when where whether which while who whom why will with would you your yours get gets got use used uses using ' +
    'happen happens work works make makes made way ways thing things also just any each some other one only own same very ' +
    's t e g eg ie etc'
  ).split(' '),
);

/** Longest word turned into terms: longer runs are data (base64, hashes, minified code), not words. */
const MAX_WORD_LENGTH = 64;

function normalise(part: string): string | undefined {
  const lower = part.toLowerCase();
  if (lower.length < 2 || STOP_WORDS.has(lower)) return undefined;
  if (/^\d+$/.test(lower)) return lower.length <= 4 ? lower : undefined; // years and ports, not ids and offsets
  return LATIN.test(lower) ? stem(lower) : lower;
}

/**
 * A copy of a word that does not point into the text it was cut from: a substring kept as a map key would
 * otherwise keep its whole file's text alive.
 */
export function detach(word: string): string {
  return word.length > 12 ? (' ' + word).slice(1) : word; // V8 shares substrings of 13 characters or more
}

/** Terms of one raw word, each with the piece it came from: its parts, plus the whole word when it has several (`maxretrycount`). */
function termsWithSources(word: string): [term: string, source: string][] {
  const out = new Map<string, string>();
  if (word.length <= MAX_WORD_LENGTH) {
    const parts = word.match(PART) ?? [];
    for (const part of parts) {
      const term = normalise(part);
      if (term && !out.has(term)) out.set(term, part.toLowerCase());
    }
    if (parts.length > 1) {
      const whole = word.replace(/^[_$]+|[_$]+$/g, '').toLowerCase();
      if (whole.length >= 2 && !STOP_WORDS.has(whole) && !out.has(whole)) out.set(whole, word);
    }
  }
  return [...out];
}

/** Terms of one raw word: its parts, plus the whole word when it has several parts (`maxretrycount`). */
export function wordTerms(word: string): string[] {
  return termsWithSources(word).map(([term]) => term);
}

/** Calls `visit` with each raw word of a text (before splitting and stemming). */
export function forEachWord(text: string, visit: (word: string) => void): void {
  // Split on ASCII separators first (3× faster than the Unicode classes), then split again the rare words
  // holding non-ASCII characters, which may be punctuation (— “ ”) rather than letters.
  for (const word of text.split(ASCII_NON_WORD)) {
    if (!word) continue;
    if (!NON_ASCII.test(word)) visit(word);
    else for (const part of word.split(NON_WORD)) if (part) visit(part);
  }
}

/** The distinct terms of a question, first occurrence first, each with the piece of the question it came from. */
export function questionTerms(question: string): { term: string; word: string }[] {
  const seen = new Map<string, string>();
  forEachWord(question, (word) => {
    for (const [term, source] of termsWithSources(word)) if (!seen.has(term)) seen.set(term, source);
  });
  return [...seen].map(([term, word]) => ({ term, word }));
}
