import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { BytePairEncodingCore } from 'gpt-tokenizer/BytePairEncodingCore';
import cl100kRanks from 'gpt-tokenizer/bpeRanks/cl100k_base';
import o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { BytePairCounter } from '../src/packer/tokens/bytePairs.js';
import { NO_TOKEN, RankTable } from '../src/packer/tokens/rankTable.js';
import { forEachPreToken, type SplitStyle } from '../src/packer/tokens/preTokens.js';
import { SpanCounts } from '../src/packer/tokens/spanCounts.js';
import { corpusDir } from './helpers/corpus.js';

/** Llama-3's split pattern as tokenizer.json has it, and Qwen2's (one digit per number). */
const LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2 = LLAMA3.replace('\\p{N}{1,3}', '\\p{N}');

/** The regexes as JavaScript runs them (Node 20 has no inline `(?i:…)`: the letters are spelled out both ways). */
function jsRegex(source: string): RegExp {
  return new RegExp(source.replace(/\(\?i:([^)]*)\)/g, (_m, body: string) => '(?:' + body.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`) + ')'), 'gu');
}

const cl100kStyle: SplitStyle = { maxDigits: 3, wholeFinalSpace: true };

/** Each pattern with the regex it is checked against and our scanner for it. */
const patterns: { name: string; regex: RegExp; scan: (text: string, visit: (start: number, end: number) => void) => void; threeDigits: boolean }[] = [
  { name: 'cl100k (gpt-tokenizer)', regex: new RegExp(CL100K_TOKEN_SPLIT_REGEX.source, 'gu'), scan: (t, v) => forEachPreToken(t, cl100kStyle, v), threeDigits: true },
  { name: 'Llama-3', regex: jsRegex(LLAMA3), scan: (t, v) => forEachPreToken(t, { maxDigits: 3, wholeFinalSpace: false }, v), threeDigits: true },
  { name: 'Qwen2', regex: jsRegex(QWEN2), scan: (t, v) => forEachPreToken(t, { maxDigits: 1, wholeFinalSpace: false }, v), threeDigits: false },
  { name: 'o200k', regex: new RegExp(O200K_TOKEN_SPLIT_REGEX.source, 'gu'), scan: (t, v) => forEachPreToken(t, { maxDigits: 3, wholeFinalSpace: false, caseWords: true }, v), threeDigits: false },
];

function scanned(text: string, scan: (text: string, visit: (start: number, end: number) => void) => void): string[] {
  const pieces: string[] = [];
  scan(text, (start, end) => pieces.push(text.slice(start, end)));
  return pieces;
}

function matched(text: string, regex: RegExp): string[] {
  return [...text.matchAll(regex)].map((m) => m[0]);
}

/** Characters on each side of every class boundary the patterns draw. */
const tricky = [
  ' ', '  ', '\t', '\n', '\r', '\r\n', '\n\n', '\u000b', '\u000c', '\u00a0', '\u1680', '\u2007', '\u2028', '\u2029', '\u202f', '\u3000', '\ufeff', '\u0085',
  'a', 'Z', 'é', 'ß', '東', 'ǅ', 'ʰ', 'א', '\u0301', 'e\u0301', '\u200d',
  '1', '23', '4567', '٣', '²', '½', 'Ⅻ', '𝟘',
  "'", "'s", "'S", "'ll", "'LL", "'Ve", "'re", "'m", "'d", "'t", "'x", "''s",
  '(', '_', '.', '—', '//', '}', '#', '$', '\u0000', '\u007f',
  '🎉', '𝐀', '\ud800', '\udc00', '\udbff\udfff',
  // o200k breaks words where lower case turns to upper case, and keeps marks and contractions in them.
  'HTTPServer', 'camelCase', 'XMLHttpRequest', "don't", "I'LL", "ABC's", 'Σσ', 'ǅa', 'ʰA', 'A\u0301b', '\u0301A', '/', '//\n',
];

const text = fc.array(fc.oneof(fc.constantFrom(...tricky), fc.string({ unit: 'binary' }), fc.string()), { maxLength: 30 }).map((parts) => parts.join(''));

for (const { name, regex, scan } of patterns) {
  test(`the scanner splits like the ${name} pattern: generated text`, () => {
    for (const sample of tricky) assert.deepEqual(scanned(sample, scan), matched(sample, regex), JSON.stringify(sample));
    fc.assert(fc.property(text, (sample) => {
      assert.deepEqual(scanned(sample, scan), matched(sample, regex), JSON.stringify(sample));
    }), { numRuns: 3000 });
  });
}

/** Texts of a real repository: every text file of express, and django's files beyond ASCII (translations in ~100 languages). */
function realTexts(): string[] {
  const texts: string[] = [];
  const add = (dir: string, onlyUnicode: boolean): void => {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const bytes = readFileSync(join(entry.parentPath, entry.name));
      if (bytes.includes(0) || !isUtf8(bytes)) continue;
      if (onlyUnicode && !bytes.some((b) => b > 127)) continue;
      texts.push(bytes.toString('utf8'));
    }
  };
  add(corpusDir('node-express'), false);
  add(join(corpusDir('python-django'), 'django', 'conf', 'locale'), true);
  add(join(corpusDir('python-django'), 'tests'), true);
  return texts;
}

test('the scanner splits real repositories like each pattern, and byte pairs count each pre-token like gpt-tokenizer', () => {
  const texts = realTexts();
  assert.ok(texts.length > 300, `${texts.length} texts`);
  const distinct = new Set<string>();
  for (const { name, regex, scan, threeDigits } of patterns) {
    for (const sample of texts) {
      const pieces = scanned(sample, scan);
      const expected = matched(sample, regex);
      if (pieces.length !== expected.length || pieces.some((p, i) => p !== expected[i])) {
        const at = pieces.findIndex((p, i) => p !== expected[i]);
        assert.fail(`${name}: split differs at pre-token ${at}: ${JSON.stringify(pieces.slice(at, at + 3))} vs ${JSON.stringify(expected.slice(at, at + 3))}`);
      }
      if (threeDigits) for (const piece of pieces) distinct.add(piece);
    }
  }
  assert.ok(distinct.size > 50_000, `${distinct.size} distinct pre-tokens`);
  const noSpecial = new Set<string>();
  for (const [name, ranks, regex] of [['cl100k', cl100kRanks, CL100K_TOKEN_SPLIT_REGEX], ['o200k', o200kRanks, O200K_TOKEN_SPLIT_REGEX]] as const) {
    const library = new BytePairEncodingCore({ bytePairRankDecoder: ranks, tokenSplitRegex: regex, mergeCacheSize: 0 });
    const ours = new BytePairCounter(RankTable.fromTokens(ranks));
    // The library splits what it is given again: count the pre-tokens its own pattern leaves whole.
    const pieces = [...distinct, ...fc.sample(fc.string({ unit: 'binary', maxLength: 12 }), 2000)]
      .filter((piece) => piece.length > 0 && matched(piece, new RegExp(regex.source, 'gu')).length === 1);
    const naive = naiveBytePairs(ranks);
    for (const piece of pieces) {
      // gpt-tokenizer decodes byte runs with a TextDecoder that drops a leading byte order mark, so it finds
      // no token for U+FEFF (and takes "\ufeffusing" for "using"): there the plain algorithm is the reference.
      const expected = piece.includes('\ufeff') ? naive(piece) : library.countNative(piece, noSpecial);
      assert.equal(ours.count(piece), expected, `${name}: ${JSON.stringify(piece)}`);
    }
    assert.equal(ours.count('\ufeff'), 1, 'U+FEFF is one token in both encodings');
  }
});

test('a rank table packed as the build does reads back the same ranks; other bytes are refused', () => {
  for (const ranks of [cl100kRanks, o200kRanks]) {
    const table = RankTable.fromTokens(ranks);
    const packed = table.pack();
    // As a file's bytes, and at an odd offset in a larger buffer (the packed hash table is then copied, not viewed).
    for (const bytes of [new Uint8Array(packed), Buffer.concat([Buffer.from([7]), packed]).subarray(1)]) {
      const read = RankTable.unpack(bytes)!;
      assert.ok(read);
      ranks.forEach((token, rank) => {
        const piece = Buffer.from(token);
        assert.equal(read.rank(piece, 0, piece.length), rank, JSON.stringify(token));
      });
      const none = Buffer.from('no such token in any vocabulary, surely');
      assert.equal(read.rank(none, 0, none.length), NO_TOKEN);
    }
  }
  assert.equal(RankTable.unpack(Buffer.from('not a rank table at all')), undefined);
  assert.equal(RankTable.unpack(RankTable.fromTokens(['a', 'b']).pack().subarray(0, 14)), undefined, 'cut short');
});

test('long pre-tokens are merged with a heap, with the same counts, and a megabyte-long one is counted at once', () => {
  const heap = new BytePairCounter(RankTable.fromTokens(cl100kRanks));
  const plain = new BytePairCounter(RankTable.fromTokens(cl100kRanks), Infinity);
  const library = new BytePairEncodingCore({ bytePairRankDecoder: cl100kRanks, tokenSplitRegex: CL100K_TOKEN_SPLIT_REGEX, mergeCacheSize: 0 });
  // Repeats make many joins of equal rank: the leftmost must go first.
  const long = [
    'ab'.repeat(700), 'a'.repeat(1500), '='.repeat(900), ' '.repeat(600), 'x'.repeat(129), 'é'.repeat(400), '東京'.repeat(200),
    'thequickbrownfoxjumpsoverthelazydog'.repeat(40), ...fc.sample(fc.string({ unit: fc.constantFrom('a', 'b', 'e', 'r', 's', 't'), minLength: 200, maxLength: 3000 }), 20),
    ...fc.sample(fc.string({ unit: 'binary', minLength: 150, maxLength: 1500 }), 20),
  ];
  for (const piece of long) {
    assert.equal(heap.count(piece), plain.count(piece), JSON.stringify(piece.slice(0, 40)));
    // The library splits what it is given again: compare where its pattern leaves the piece whole.
    const whole = matched(piece, new RegExp(CL100K_TOKEN_SPLIT_REGEX.source, 'gu')).length === 1;
    if (whole && !piece.includes('\ufeff')) assert.equal(heap.count(piece), library.countNative(piece, new Set()), JSON.stringify(piece.slice(0, 40)));
  }
  // A run of a megabyte, as in a minified or generated file: the plain merge would take minutes.
  const huge = Array.from({ length: 1 << 20 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz'[(i * 7 + (i >> 3)) % 26]).join('');
  const tokens = heap.count(huge);
  assert.ok(tokens > huge.length / 8 && tokens < huge.length, `${tokens} tokens`);
});

test('remembered counts are looked up by content, through collisions and when the table starts over', () => {
  // A value that differs between nearly any two pre-tokens, so a wrong match shows.
  const value = (piece: string): number => {
    let v = piece.length;
    for (let i = 0; i < piece.length; i++) v = (v * 131 + piece.charCodeAt(i)) % 1_000_003;
    return v;
  };
  let computed = 0;
  const counts = new SpanCounts((piece) => {
    computed++;
    return value(piece);
  });
  const style = cl100kStyle;
  // 150 K distinct words, more than the table keeps.
  const words = Array.from({ length: 150_000 }, (_, i) => ' w' + i.toString(36).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!)).join('');
  const texts = [...realTexts(), words];
  let pieces = 0;
  const distinct = new Set<string>();
  for (const sample of [...texts, ...texts]) {
    forEachPreToken(sample, style, (start, end) => {
      pieces++;
      distinct.add(sample.slice(start, end));
      assert.equal(counts.count(sample, start, end), value(sample.slice(start, end)));
    });
  }
  assert.ok(computed > distinct.size, `${computed} computed for ${distinct.size} distinct: the table started over`);
  assert.ok(computed < pieces / 3, `${computed} computed for ${pieces} pre-tokens: most were remembered`);
  // Same characters, different places; and pre-tokens too long to keep.
  const long = 'x'.repeat(300);
  assert.equal(counts.count(`a${long}b`, 1, 301), value(long));
  assert.equal(counts.count(`(${long}`, 1, 301), value(long));
});

/** Byte-pair merges as tiktoken describes them, on arrays of bytes, without any of the shortcuts under test. */
function naiveBytePairs(table: readonly (string | readonly number[])[]): (piece: string) => number {
  const ranks = new Map<string, number>();
  table.forEach((token, rank) => ranks.set([...Buffer.from(token)].join(','), rank));
  return (piece) => {
    let parts = [...Buffer.from(piece, 'utf8')].map((b) => [b]);
    if (ranks.has(parts.flat().join(','))) return 1;
    for (;;) {
      let best = -1;
      let lowest = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const rank = ranks.get([...parts[i]!, ...parts[i + 1]!].join(','));
        if (rank !== undefined && rank < lowest) [best, lowest] = [i, rank];
      }
      if (best < 0) return parts.length;
      parts = [...parts.slice(0, best), [...parts[best]!, ...parts[best + 1]!], ...parts.slice(best + 2)];
    }
  };
}
