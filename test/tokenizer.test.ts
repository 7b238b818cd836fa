import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import cl100kRanks from 'gpt-tokenizer/bpeRanks/cl100k_base';
import { Tokenizer } from '@huggingface/tokenizers';
import { pack } from '../src/packer/pack.js';
import { loadTokenCounter } from '../src/packer/tokens/tokenizer.js';
import { corpusDir } from './helpers/corpus.js';
import { gitRepo, tempDir } from './helpers/repo.js';

const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** GPT-2's byte-to-character table, written out here independently of the code under test. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  const table: string[] = [];
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i]!)));
  return table;
}

/**
 * A Llama-3-style tokenizer.json built from cl100k's ranks: vocab by rank, and each merge recovered by
 * running BPE on the token's bytes with only lower ranks until two parts remain (how tiktoken vocabularies
 * are converted for Hugging Face).
 */
function cl100kTokenizerJson(): object {
  const table = bytesToUnicode();
  const ranks = new Map<string, number>();
  const tokens: number[][] = [];
  (cl100kRanks as readonly (string | readonly number[])[]).forEach((entry, rank) => {
    const bytes = typeof entry === 'string' ? [...Buffer.from(entry, 'utf8')] : [...entry];
    tokens[rank] = bytes;
    ranks.set(bytes.join(','), rank);
  });
  const vocab: Record<string, number> = {};
  const merges: [string, string][] = [];
  const text = (bytes: number[]): string => bytes.map((b) => table[b]).join('');
  tokens.forEach((bytes, rank) => {
    vocab[text(bytes)] = rank;
    if (bytes.length < 2) return;
    let parts = bytes.map((b) => [b]);
    while (parts.length > 2) {
      let best = -1;
      let bestRank = rank;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = ranks.get([...parts[i]!, ...parts[i + 1]!].join(','));
        if (r !== undefined && r < bestRank) { best = i; bestRank = r; }
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), [...parts[best]!, ...parts[best + 1]!], ...parts.slice(best + 2)];
    }
    if (parts.length === 2) merges.push([text(parts[0]!), text(parts[1]!)]);
  });
  merges.sort((a, b) => vocab[a[0] + a[1]]! - vocab[b[0] + b[1]]!);
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: LLAMA3_SPLIT }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    ] },
    post_processor: null, decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
}

const { dir, cleanup } = tempDir();
after(cleanup);
let fastPath = '';
let slowPath = '';
let json: Record<string, unknown> = {};
before(() => {
  json = cl100kTokenizerJson() as Record<string, unknown>;
  fastPath = join(dir, 'llama-like', 'tokenizer.json');
  gitRepo(join(dir, 'llama-like'), { 'tokenizer.json': JSON.stringify(json) });
  slowPath = join(dir, 'normalized', 'tokenizer.json');
  gitRepo(join(dir, 'normalized'), { 'tokenizer.json': JSON.stringify({ ...json, normalizer: { type: 'NFC' } }) });
});

test('a tiktoken-style tokenizer.json runs on the fast engine and counts exactly like Hugging Face tokenizers', async () => {
  const counter = loadTokenCounter(fastPath);
  assert.match(counter.id, /^hf:llama-like@[0-9a-f]{12}$/);
  assert.equal(counter.additive, true);
  const { prompt } = await pack(corpusDir('node-express'), { cacheDir: null });
  assert.equal(counter.count(prompt), loadTokenCounter('cl100k').count(prompt), 'same ranks as cl100k, same count');
  const reference = new Tokenizer(json, {});
  const sample = prompt.slice(0, 150_000) + '\n naïve café — 東京 🎉\r\n\t  x';
  assert.equal(counter.count(sample), reference.encode(sample, { add_special_tokens: false }).ids.length);
});

test('another tokenizer.json falls back to Hugging Face tokenizers and totalTokens counts the whole prompt', async () => {
  const counter = loadTokenCounter(slowPath);
  assert.equal(counter.additive, false);
  const repo = join(dir, 'small');
  gitRepo(repo, { 'a.py': 'import b\nprint(b.x)\n', 'b.py': 'x = "café"\n', 'README.md': '# Small\n\nA tiny repo.\n' });
  const { prompt, manifest } = await pack(repo, { tokenizer: slowPath, cacheDir: null });
  assert.equal(manifest.tokenizer, counter.id);
  assert.equal(manifest.totalTokens, counter.count(prompt));
});

test('an unreadable or invalid tokenizer.json gets one clear message with the way out', () => {
  assert.throws(() => loadTokenCounter(join(dir, 'missing', 'tokenizer.json')), /cannot read tokenizer file .*missing\/tokenizer\.json \(ENOENT\): pass --tokenizer cl100k, o200k or a readable tokenizer\.json/);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"model": ');
  assert.throws(() => loadTokenCounter(broken), /broken\.json is not a Hugging Face tokenizer\.json/);
  assert.throws(() => loadTokenCounter('gpt5'), /unknown tokenizer "gpt5": use cl100k, o200k or the path of a Hugging Face tokenizer\.json/);
});
