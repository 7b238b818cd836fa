/**
 * The counting itself: byte-pair counts of pre-tokens for tiktoken-style vocabularies (the built-in encodings and
 * such tokenizer.json files), the Hugging Face library for the others. tokenizer.ts loads this module on first use.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawBytePairRanks } from 'gpt-tokenizer/BytePairEncodingCore';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { UsageError } from '../errors.js';
import { BytePairCounter } from './bytePairs.js';
import { RankTable } from './rankTable.js';
import { forEachPreToken, type SplitStyle } from './preTokens.js';
import { SpanCounts } from './spanCounts.js';
import type { TokenCounter } from './tokenizer.js';

/** Pre-tokens whose counts are kept, where a pattern's own regex splits (scanned patterns keep theirs in `SpanCounts`). */
const PIECE_CACHE_SIZE = 60_000;

/** Llama-3's split pattern (also DeepSeek-V3's and ProLong's), as `tiktokenStyle` writes it from a tokenizer.json. */
const CL100K_LIKE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/**
 * Split patterns that a scanner splits instead of the regex (preTokens.ts), by source: cl100k's and o200k's as
 * gpt-tokenizer has them, Llama-3's (also DeepSeek-V3's, ProLong's) and Qwen2's as `tiktokenStyle` writes them,
 * with the case-insensitive group expanded.
 */
const SCANNED_PATTERNS = new Map<string, SplitStyle>([
  [CL100K_TOKEN_SPLIT_REGEX.source, { maxDigits: 3, wholeFinalSpace: true }],
  [CL100K_LIKE, { maxDigits: 3, wholeFinalSpace: false }],
  [CL100K_LIKE.replace('\\p{N}{1,3}', '\\p{N}'), { maxDigits: 1, wholeFinalSpace: false }],
  [O200K_TOKEN_SPLIT_REGEX.source, { maxDigits: 3, wholeFinalSpace: false, caseWords: true }],
]);

/** Counts text split by `split`: the sum of its pre-tokens' byte-pair counts (no special tokens, as the library's `countNative`). */
function bpeCounter(id: string, ranks: RankTable, split: RegExp): TokenCounter {
  const bytePairs = new BytePairCounter(ranks);
  const style = SCANNED_PATTERNS.get(split.source);
  if (style) {
    const counts = new SpanCounts((piece) => bytePairs.count(piece));
    const count = (text: string): number => {
      let total = 0;
      forEachPreToken(text, style, (start, end) => {
        total += counts.count(text, start, end);
      });
      return total;
    };
    return { id, additive: true, count };
  }
  // Another pattern (a tokenizer.json of another family): the regex itself, each pre-token's count remembered.
  const pattern = new RegExp(split.source, split.flags.includes('g') ? split.flags : split.flags + 'g');
  const counts = new Map<string, number>();
  const count = (text: string): number => {
    let total = 0;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const piece = match[0];
      let n = counts.get(piece);
      if (n === undefined) {
        n = bytePairs.count(piece);
        if (counts.size >= PIECE_CACHE_SIZE) counts.clear();
        counts.set(piece, n);
      }
      total += n;
    }
    return total;
  };
  return { id, additive: true, count };
}

/**
 * The rank table of a built-in encoding. gpt-tokenizer ships them as megabytes of JavaScript, so the
 * bundles do not include them: the build packs them into `dist/ranks/<name>.bin` (rankTable.ts), which each
 * thread that counts reads in a few milliseconds. From source (tests), they come from node_modules.
 */
function loadRanks(name: 'cl100k_base' | 'o200k_base'): RankTable {
  const packed = join(__dirname, 'ranks', `${name}.bin`);
  if (existsSync(packed)) {
    const table = RankTable.unpack(readFileSync(packed));
    if (table) return table;
  }
  const module = `gpt-tokenizer/bpeRanks/${name}`; // a variable, so that bundling leaves the table out
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return RankTable.fromTokens((require(module) as { default: RawBytePairRanks }).default);
}

export function loadBuiltin(name: 'cl100k_base' | 'o200k_base'): TokenCounter {
  const regex = name === 'cl100k_base' ? CL100K_TOKEN_SPLIT_REGEX : O200K_TOKEN_SPLIT_REGEX;
  return bpeCounter(name, loadRanks(name), regex);
}

interface HfTokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[]; ignore_merges?: boolean };
  normalizer?: unknown;
  pre_tokenizer?: HfPreTokenizer | null;
  decoder?: { type?: string } | null;
}
interface HfPreTokenizer {
  type?: string;
  pretokenizers?: HfPreTokenizer[];
  pattern?: { Regex?: string; String?: string };
  behavior?: string;
  use_regex?: boolean;
  add_prefix_space?: boolean;
}

function readTokenizerJson(path: string): { json: HfTokenizerJson; sha: string } {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read tokenizer file ${path} (${code}): pass --tokenizer cl100k, o200k or a readable tokenizer.json`);
  }
  try {
    const json = JSON.parse(raw) as HfTokenizerJson;
    if (typeof json !== 'object' || json === null || typeof json.model !== 'object') throw new Error('no "model" section');
    return { json, sha: createHash('sha256').update(raw).digest('hex').slice(0, 12) };
  } catch (error) {
    throw new UsageError(`${path} is not a Hugging Face tokenizer.json (${(error as Error).message}): pass --tokenizer cl100k, o200k or a valid tokenizer.json`);
  }
}

/** GPT-2's reversible map from bytes to printable characters, used by byte-level BPE vocabularies. */
function byteLevelDecoder(): Map<string, number> {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map = new Map<string, number>();
  for (const b of printable) map.set(String.fromCodePoint(b), b);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) map.set(String.fromCodePoint(256 + extra++), b);
  }
  return map;
}

/**
 * A tokenizer.json is tiktoken-style when it is byte-level BPE split by one regex, with no normalizer,
 * and its merge list is in the order of the merged tokens' ids — then BPE by rank equals BPE by merge
 * priority, and the fast engine gives exact counts (Llama-3 and Qwen2 tokenizers are built this way).
 */
function tiktokenStyle(json: HfTokenizerJson): { split: RegExp; ranks: number[][] } | undefined {
  const model = json.model;
  if (!model || model.type !== 'BPE' || !model.vocab || !model.merges || json.normalizer) return undefined;
  const pre = json.pre_tokenizer;
  const steps = pre?.type === 'Sequence' ? (pre.pretokenizers ?? []) : pre ? [pre] : [];
  const split = steps.find((s) => s.type === 'Split' && s.pattern?.Regex && s.behavior === 'Isolated');
  const byteLevel = steps.find((s) => s.type === 'ByteLevel');
  if (!split || !byteLevel || byteLevel.use_regex || byteLevel.add_prefix_space || steps.length !== 2) return undefined;
  let pattern = split.pattern!.Regex!;
  // Node 20's RegExp has no inline modifier groups; the one tokenizers use is case-insensitive contractions.
  pattern = pattern.replace(/\(\?i:([^)]*)\)/g, (_m, body: string) =>
    '(?:' + body.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`) + ')');
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'gu');
  } catch {
    return undefined;
  }
  const vocab = model.vocab;
  let previous = -1;
  for (const merge of model.merges) {
    const [a, b] = typeof merge === 'string' ? merge.split(' ') : merge;
    const id = vocab[(a ?? '') + (b ?? '')];
    if (id === undefined || id <= previous) return undefined;
    previous = id;
  }
  const decode = byteLevelDecoder();
  const ranks: number[][] = [];
  for (const [token, id] of Object.entries(vocab)) {
    const bytes: number[] = [];
    for (const ch of token) {
      const b = decode.get(ch);
      if (b === undefined) return undefined;
      bytes.push(b);
    }
    ranks[id] = bytes;
  }
  for (let i = 0; i < ranks.length; i++) ranks[i] ??= [];
  return { split: regex, ranks };
}

export function loadHuggingFaceTokenizer(path: string): TokenCounter {
  const { json, sha } = readTokenizerJson(path);
  const name = path.replace(/\\/g, '/').split('/').slice(-2, -1)[0] ?? 'tokenizer';
  const id = `hf:${name}@${sha}`;
  const fast = tiktokenStyle(json);
  if (fast) {
    return bpeCounter(id, RankTable.fromTokens(fast.ranks), fast.split);
  }
  let tokenizer: HfTokenizer;
  try {
    tokenizer = new HfTokenizer(json, {});
  } catch (error) {
    throw new UsageError(`${path}: this tokenizer.json is not supported (${(error as Error).message}): pass --tokenizer cl100k or o200k`);
  }
  return { id, additive: false, count: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids.length };
}
