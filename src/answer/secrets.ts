import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { lintSource as LintSource } from '@secretlint/core';
import { version as coreVersion } from '@secretlint/core/package.json';
import { version as presetVersion } from '@secretlint/secretlint-rule-preset-recommend/package.json';
import { defaultCacheDir } from '../packer/cache/cacheDir.js';
import { fileKey } from '../packer/cache/fileCache.js';
import { readFileText } from '../packer/discover/discover.js';
import { throwIfCancelled } from '../packer/errors.js';
import type { PackResult } from '../packer/pack.js';

export interface SecretFinding {
  path: string;
  /** Secrets redacted from the file's block. */
  count: number;
  /** What they are, as kebab-case names of the scanner's messages (`aws-secret-access-key`, `github-token`, `private-key`). */
  kinds: string[];
}

export interface Redaction {
  /** Files with secrets in the prompt, in prompt order. */
  findings: SecretFinding[];
  /** Path → redacted block, for `PackResult.pieces(replace)`. */
  replace: Map<string, string>;
  /** The prompt's tokens after redaction. */
  totalTokens: number;
  /** Files scanned now, and files whose result came from the cache. */
  scannedFiles: number;
  cachedFiles: number;
}

export interface RedactOptions {
  /** The packed directory (files are read from it). */
  root: string;
  /** Cache directory; `null` turns the cache off; undefined uses the default location. */
  cacheDir?: string | null;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** A secret in a file's text: what it is and where (UTF-16 offsets, end exclusive). Never the secret itself. */
export interface SecretSpan {
  kind: string;
  start: number;
  end: number;
}

const CACHE_FILE = 'secrets-v1.json';
/** Past this many files the cache keeps only those of the latest scan (an entry is about 40 bytes). */
const MAX_CACHE_ENTRIES = 100_000;
/** Fragments shorter than this are left alone: replacing them everywhere in a block would hit innocent text. */
const MIN_FRAGMENT = 4;
const RECOMMEND_ID = '@secretlint/secretlint-rule-preset-recommend';

/**
 * Scans every file the prompt shows with secretlint's recommended rules and replaces each secret in the
 * file's block by a marker (`[REDACTED github-token]`), line by line, so line numbers stay true. Results
 * are cached per file content; the cache holds kinds and offsets, never secret text.
 */
export async function redactSecrets(packed: PackResult, options: RedactOptions): Promise<Redaction> {
  const shown = packed.manifest.files.filter((f) => f.level !== 'omitted');
  const cacheDir = options.cacheDir === null ? undefined : (options.cacheDir ?? defaultCacheDir());
  const cache = await SecretCache.open(cacheDir);
  const findings: SecretFinding[] = [];
  const replace = new Map<string, string>();
  let scannedFiles = 0;
  let lastYield = performance.now();
  for (let i = 0; i < shown.length; i++) {
    // secretlint's work is promise-based but never yields to timers or I/O: give them a turn now and then.
    if (performance.now() - lastYield > 25) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
      options.onProgress?.(i, shown.length);
    }
    throwIfCancelled(options.signal);
    const { path } = shown[i]!;
    const key = packed.keyOf(path);
    if (key === undefined) throw new Error(`${path} is in the manifest but not in the packed files`);
    const { text, spans, scanned } = await scanFile(path, key, options.root, cache);
    if (scanned) scannedFiles++;
    if (spans.length === 0) continue;
    const redacted = redactBlock(packed.block(path)!, text, spans);
    if (redacted.count === 0) continue; // every secret sits in lines the block leaves out
    replace.set(path, redacted.block);
    findings.push({ path, count: redacted.count, kinds: redacted.kinds });
  }
  options.onProgress?.(shown.length, shown.length);
  await cache.save();
  return {
    findings, replace, totalTokens: packed.totalTokensWith(replace), scannedFiles, cachedFiles: shown.length - scannedFiles,
  };
}

/**
 * A file's secrets, from the cache or a scan, with its text when there are any (their offsets point into it).
 * The text must be the one the block was rendered from: a file edited since the pack is an error.
 */
async function scanFile(
  path: string, key: string, root: string, cache: SecretCache,
): Promise<{ text: string; spans: SecretSpan[]; scanned: boolean }> {
  const cached = cache.get(key);
  if (cached?.length === 0) return { text: '', spans: cached, scanned: false };
  const text = readFileText(join(root, path));
  if (fileKey(path, text) !== key) {
    throw new Error(`${path} changed after it was packed, so its secrets cannot be placed in the prompt: pack again and send that`);
  }
  if (cached) return { text, spans: cached, scanned: false };
  const spans = await findSecrets(path, text);
  cache.set(key, spans);
  return { text, spans, scanned: true };
}

/**
 * The secrets in a file's text, by secretlint's recommended preset. With `prefilter` (the default), a text
 * holding none of the substrings the preset's rules start from is not given to secretlint at all.
 */
export async function findSecrets(path: string, text: string, options: { prefilter?: boolean } = {}): Promise<SecretSpan[]> {
  const scanner = await loadScanner();
  // a preset with rules the trigger list was not written for gets every file
  if ((options.prefilter ?? true) && scanner.prefilterCovers && !mayHoldSecret(path, text)) return [];
  let result;
  try {
    result = await scanner.lint({
      source: { content: text, filePath: path, ext: extname(path), contentType: 'text' },
      options: { config: scanner.config },
    });
  } catch (error) {
    // The scanner's own message (and so a cause) could quote the file: name the file and the error's class only.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`the secret scan of ${path} failed (${(error as Error).name ?? 'error'}); pass --no-redact to send without redaction`);
  }
  const spans = new Map<string, SecretSpan>();
  for (const message of result.messages) {
    const [start, end] = secretRange(text, message.range, message.data);
    const span = { kind: kindOf(message.messageId), start, end };
    spans.set(`${span.kind}|${start}|${end}`, span);
  }
  return [...spans.values()].sort((a, b) => a.start - b.start || a.end - b.end);
}

/**
 * Some rules report a range that starts at the whole match but has the length of the secret (the AWS secret
 * access key, npm's `_authToken`, GitHub's `x-oauth-basic` URLs), which would leave the secret's tail in the
 * prompt. When the reported value sits inside the range but runs past its end, the value's own span is used.
 */
function secretRange(text: string, range: readonly [number, number], data: object | undefined): [number, number] {
  let [start, end] = range;
  for (const value of Object.values(data ?? {})) {
    if (typeof value !== 'string' || value.length < MIN_FRAGMENT) continue;
    const at = text.indexOf(value, start);
    if (at === -1 || at > end) continue;
    if (at + value.length > end) [start, end] = [at, at + value.length];
  }
  return [start, end];
}

/** `AWSSecretAccessKey` → `aws-secret-access-key`, `GITHUB_TOKEN` → `github-token`: a message id, never a secret. */
function kindOf(messageId: string): string {
  return messageId
    .split('_')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2'))
    .join('-')
    .toLowerCase();
}

/**
 * Replaces each secret's text in the block by a marker, one line at a time (the block has line-number
 * prefixes and, for signatures, elision markers, so fragments are replaced rather than the file re-rendered).
 * Counts the secrets of which some line is in the block.
 */
function redactBlock(block: string, text: string, spans: readonly SecretSpan[]): { block: string; count: number; kinds: string[] } {
  const kinds = new Set<string>();
  let count = 0;
  for (const span of spans) {
    if (fragmentsOf(text, span).some((fragment) => block.includes(fragment))) {
      count++;
      kinds.add(span.kind);
    }
  }
  // Overlapping secrets (a token inside a URL with credentials) are redacted as one, under the first one's kind.
  const merged: SecretSpan[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  const replacements = new Map<string, string>();
  for (const span of merged) for (const fragment of fragmentsOf(text, span)) replacements.set(fragment, `[REDACTED ${span.kind}]`);
  // Longest first, so a fragment inside a longer one does not break the longer one's replacement.
  let out = block;
  for (const [fragment, marker] of [...replacements].sort((a, b) => b[0].length - a[0].length)) out = out.split(fragment).join(marker);
  return { block: out, count, kinds: [...kinds].sort() };
}

/** The secret's text on each line it spans, without the line's indentation; short fragments left out. */
function fragmentsOf(text: string, span: SecretSpan): string[] {
  return text.slice(span.start, span.end).split('\n').map((line) => line.trim()).filter((line) => line.length >= MIN_FRAGMENT);
}

/*
 * The prefilter. secretlint runs ~28 rules and its own machinery on every file (about 2 s for the 28K files
 * of Babel); a text without any of the substrings the rules need cannot produce a finding, and one regular
 * expression finds out in a tenth of the time. Each rule of @secretlint/secretlint-rule-preset-recommend 13
 * and what its patterns require (every pattern below is implied by the rule's own, so the check only says
 * "maybe"):
 */
const TRIGGERS: Record<string, string | null> = {
  // access key ids (with enableIDScanRule), `aws_secret_access_key = …` assignments, `aws_account_id = …`
  aws: '(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}|(?:SECRET|secret|Secret)_?(?:ACCESS|access|Access)_?(?:KEY|key|Key)|ACCOUNT|account|Account',
  // a service-account .json with a "private_key" field (or with \u escapes, which could spell the field's name)
  gcp: 'private_key',
  privatekey: '-----BEGIN',
  npm: 'x-oauth-basic|_authToken=|npm_[A-Za-z0-9_]{36}',
  // user:password@ in a URL (user and password character sets are supersets of both rules')
  basicauth: ':\\/\\/[^:\\/\\s]{1,256}:[^@\\/\\s]{1,256}@',
  'database-connection-string': ':\\/\\/[^:\\/\\s]{1,256}:[^@\\/\\s]{1,256}@',
  // tokens, and Incoming Webhook URLs (matched ignoring case: see TRIGGER_ANY_CASE)
  slack: '(?:xoxb|xoxp|xapp|xoxa|xoxo|xoxr)-',
  sendgrid: 'SG\\.',
  shopify: 'shp(?:pa|ca|at|ss)_',
  stripe: '[sr]k_(?:live|test)_',
  github: 'gh[pousr]_|github_pat_',
  gitlab: 'glpat-',
  grafana: 'glc_|glsa_',
  openai: 'T3BlbkFJ', // the base64 of "OpenAI" inside every key format
  anthropic: 'sk-ant-api0',
  groq: 'gsk_',
  huggingface: 'hf_',
  linear: 'lin_api_',
  notion: 'ntn_',
  '1password': 'ops_ey',
  'hashicorp-vault': 'hv[sbr]\\.',
  vercel: 'vc[piark]_',
  databricks: 'dapi[A-Fa-f0-9]{32}',
  docker: 'dckr_pat_',
  figma: 'figd_',
  cloudflare: 'cf(?:k|ut|at)_',
  tailscale: 'tskey-',
  'filter-comments': null, // only silences other rules' findings
};
const TRIGGER = new RegExp([...new Set(Object.values(TRIGGERS).filter((t) => t !== null))].join('|'));
/** The Slack webhook and database URL patterns ignore case; the database ones are covered above already. */
const TRIGGER_ANY_CASE = /hooks\.slack\.com/i;

/** What cached results depend on besides the file: the scanner's versions, our rule options and the prefilter. */
const SCANNER = `core@${coreVersion}|recommend@${presetVersion}|aws-ids|${createHash('sha1').update(TRIGGER.source).digest('hex').slice(0, 8)}`;

function mayHoldSecret(path: string, text: string): boolean {
  if (path.endsWith('.p12')) return true; // binary: never packed, but the GCP rule reads it whole
  if (path.endsWith('.json') && text.includes('\\u')) return true;
  return TRIGGER.test(text) || TRIGGER_ANY_CASE.test(text);
}

/** The rules the trigger list was written for, by their short names. */
export const PREFILTERED_RULES: readonly string[] = Object.keys(TRIGGERS);

interface Scanner {
  lint: typeof LintSource;
  config: Parameters<typeof LintSource>[0]['options']['config'];
  prefilterCovers: boolean;
}

let scanner: Promise<Scanner> | undefined;

/** secretlint is loaded on first use (it is ESM and costs ~150 ms), with its profiler off. */
function loadScanner(): Promise<Scanner> {
  return (scanner ??= (async () => {
    // On by default, the profiler keeps a performance mark per rule and file: a leak in a long-lived process.
    const { secretLintProfiler } = await import('@secretlint/profiler');
    secretLintProfiler.setEnabled(false);
    const { lintSource } = await import('@secretlint/core');
    const { creator } = await import('@secretlint/secretlint-rule-preset-recommend');
    const ruleNames = creator.rules.map((rule) => rule.meta.id.replace('@secretlint/secretlint-rule-', ''));
    const prefilterCovers = ruleNames.every((name) => name in TRIGGERS);
    return {
      lint: lintSource,
      // AWS access key ids are reported only with enableIDScanRule.
      config: { rules: [{ id: RECOMMEND_ID, rule: creator, rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }] }] },
      prefilterCovers,
    };
  })());
}

interface CacheShape {
  version: 1;
  scanner: string;
  /** Content key → [kind, start, end] of each secret; [] for a clean file. */
  entries: Record<string, [string, number, number][]>;
}

/** Scan results by file content key, in one JSON file (mode 0600) under the cache directory. */
class SecretCache {
  private readonly seen = new Map<string, SecretSpan[]>();
  private added = 0;

  private constructor(private readonly file: string | undefined, private readonly loaded: CacheShape['entries']) {}

  static async open(dir: string | undefined): Promise<SecretCache> {
    if (!dir) return new SecretCache(undefined, {});
    const file = join(dir, CACHE_FILE);
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as CacheShape;
      if (parsed.version === 1 && parsed.scanner === SCANNER && parsed.entries) return new SecretCache(file, parsed.entries);
    } catch {
      // no cache yet, or a damaged one: start empty
    }
    return new SecretCache(file, {});
  }

  get(key: string): SecretSpan[] | undefined {
    const row = Object.hasOwn(this.loaded, key) ? this.loaded[key] : undefined;
    if (!row) return undefined;
    const spans = row.map(([kind, start, end]) => ({ kind, start, end }));
    this.seen.set(key, spans);
    return spans;
  }

  set(key: string, spans: SecretSpan[]): void {
    this.seen.set(key, spans);
    this.added++;
  }

  /** Writes the file when something was added: old entries stay unless the file would grow past the bound. */
  async save(): Promise<void> {
    if (!this.file || this.added === 0) return;
    const entries: CacheShape['entries'] = {};
    const row = (spans: SecretSpan[]): [string, number, number][] => spans.map((s) => [s.kind, s.start, s.end]);
    const keepOld = Object.keys(this.loaded).length + this.added <= MAX_CACHE_ENTRIES;
    if (keepOld) Object.assign(entries, this.loaded);
    for (const [key, spans] of this.seen) entries[key] = row(spans);
    const shape: CacheShape = { version: 1, scanner: SCANNER, entries };
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(join(this.file, '..'), { recursive: true, mode: 0o700 });
      await writeFile(temp, JSON.stringify(shape), { mode: 0o600 });
      await rename(temp, this.file);
    } catch {
      // a cache that cannot be written costs a rescan next time, nothing more (the pack says why it could not)
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }
}
