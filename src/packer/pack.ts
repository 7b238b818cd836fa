import { performance } from 'node:perf_hooks';
import { runAnalyseJob, type AnalyseJob, type AnalyseResult } from './analyse/job.js';
import { analyseInWorkers, defaultThreads } from './analyse/pool.js';
import { defaultCacheDir, fileKey, FileCache } from './cache/fileCache.js';
import { discoverFiles, type SourceFile } from './discover/discover.js';
import { UsageError, throwIfCancelled } from './errors.js';
import { buildGraph } from './graph/graph.js';
import { importsFor } from './imports/index.js';
import type { Manifest, ManifestFile } from './manifest.js';
import { formatOrder, orderFiles, parseOrder, type OrderSpec } from './order/order.js';
import { createRepoIndex, type IndexedFile } from './repoIndex.js';
import {
  DEFAULT_RENDER, LINE_NUMBER_MODES, PROMPT_FORMATS, renderFileBlock, renderFooter, renderHeader,
  type LineNumberMode, type PromptFormat, type RenderSettings,
} from './render/render.js';
import { chooseTokenizer, DEFAULT_TOKENIZER, type TokenizerChoice } from './tokens/tokenizer.js';
import type { ImportResolver, LanguageImports } from './types.js';

/** Below this much text to analyse, worker threads cost more to start than they save. */
const INLINE_LIMIT_CHARS = 2 * 1024 * 1024;

export interface PackOptions {
  order?: OrderSpec | string;
  /** `cl100k` (default), `o200k` or a path to a Hugging Face tokenizer.json. */
  tokenizer?: string;
  format?: PromptFormat;
  lineNumbers?: LineNumberMode;
  /** Largest allowed prompt in tokens; undefined for unbounded. */
  budget?: number;
  maxFileBytes?: number;
  defaultExcludes?: boolean;
  /** Cache directory; `null` turns the cache off; undefined uses the default location. */
  cacheDir?: string | null;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (progress: PackProgress) => void;
}

export interface PackProgress {
  stage: 'scan' | 'analyse' | 'render';
  done: number;
  total: number;
  /** Tokens counted so far (analyse stage). */
  tokens?: number;
}

export interface PackResult {
  /** The whole prompt, joined on first use (a large repository's prompt is tens of megabytes). */
  readonly prompt: string;
  /** The prompt in pieces (header, one block per file, footer), for writing without joining. */
  readonly pieces: readonly string[];
  manifest: Manifest;
  timings: { discoverMs: number; analyseMs: number; orderMs: number; renderMs: number; totalMs: number };
  /** Files analysed afresh by this pack; the others came from the cache. */
  analysedFiles: number;
}

/** Packs a repository: discover → analyse → graph → order → render, with token counts of the rendered prompt. */
export async function pack(root: string, options: PackOptions = {}): Promise<PackResult> {
  const started = performance.now();
  const settings = renderSettings(options);
  const order = typeof options.order === 'string' ? parseOrder(options.order) : (options.order ?? { name: 'dependency' });
  const budget = checkBudget(options.budget);
  const tokenizer = chooseTokenizer(options.tokenizer ?? DEFAULT_TOKENIZER);

  const discovery = await discoverFiles(root, {
    maxFileBytes: options.maxFileBytes, defaultExcludes: options.defaultExcludes, signal: options.signal,
    onProgress: (done, total) => options.onProgress?.({ stage: 'scan', done, total }),
  });
  if (discovery.files.length === 0) {
    const why = discovery.skipped.length > 0 ? `all ${discovery.skipped.length} files were skipped (see the manifest's "skipped")` : 'it has no files';
    throw new UsageError(`nothing to pack in ${discovery.root}: ${why}; point longrepo at a directory with source files`);
  }
  const discovered = performance.now();

  const cache = await FileCache.open(options.cacheDir === null ? undefined : (options.cacheDir ?? defaultCacheDir()), discovery.root);
  const blockKey = `${tokenizer.id}|${settings.format}|${settings.lineNumbers}|full`;
  const { files: analysed, fresh } = await analyse(discovery.files, cache, blockKey, settings, tokenizer, options);
  const analysedAt = performance.now();

  const index = createRepoIndex(discovery.root, analysed, discovery.listed);
  const resolvers = new Map<LanguageImports, ImportResolver>();
  const importsByPath = new Map<string, string[]>();
  for (const file of analysed) {
    const family = importsFor(file.language);
    if (!family || file.facts.imports.length === 0) continue;
    let resolve = resolvers.get(family);
    if (!resolve) resolvers.set(family, (resolve = family.createResolver(index)));
    importsByPath.set(file.path, resolve(file.path, file.facts));
  }
  const graph = buildGraph(index.paths, (path) => importsByPath.get(path) ?? []);
  const ordering = await orderFiles(graph, order, discovery.root, discovery.git);
  throwIfCancelled(options.signal);
  const ordered = performance.now();

  const header = renderHeader({ name: discovery.name, revision: discovery.revision, files: analysed.length, order: formatOrder(order) }, settings);
  const footer = renderFooter(settings);
  const pieces: string[] = [header];
  const files: ManifestFile[] = [];
  let fileTokens = 0;
  ordering.order.forEach((i, k) => {
    const file = analysed[i]!;
    const block = renderFileBlock({ path: file.path, text: file.text, lines: file.lines, level: 'full' }, settings);
    pieces.push(block);
    const tokens = file.tokens ?? tokenizer.load().count(block);
    fileTokens += tokens;
    const entry: ManifestFile = {
      path: file.path, language: file.language, bytes: file.bytes, lines: file.lines, tokens, level: 'full',
      imports: graph.imports[i]!.map((t) => graph.paths[t]!),
    };
    if (ordering.cycleOf[i]! >= 0) entry.cycle = ordering.cycleOf[i]!;
    files.push(entry);
    if (k % 500 === 0) options.onProgress?.({ stage: 'render', done: k, total: analysed.length });
  });
  pieces.push(footer);
  const count = (text: string): number => cache.countTokens(tokenizer.id, text, () => tokenizer.load().count(text));
  const totalTokens = tokenizer.additive ? count(header) + fileTokens + count(footer) : tokenizer.load().count(pieces.join(''));
  if (budget !== undefined && totalTokens > budget) {
    throw new UsageError(`the prompt is ${totalTokens} tokens, over the budget of ${budget}: raise --budget, or narrow the files with a .longrepoignore`);
  }
  await cache.save();
  const rendered = performance.now();

  const manifest: Manifest = {
    version: 1,
    repository: { name: discovery.name, revision: discovery.revision ?? null },
    order: formatOrder(order),
    tokenizer: tokenizer.id,
    format: settings.format,
    lineNumbers: settings.lineNumbers,
    budget: budget ?? null,
    totalTokens,
    files,
    skipped: discovery.skipped,
    cycles: ordering.cycles.map((members) => members.map((m) => graph.paths[m]!)),
    stats: {
      files: files.length,
      bytes: files.reduce((sum, f) => sum + f.bytes, 0),
      edges: graph.imports.reduce((sum, list) => sum + list.length, 0),
      skipped: discovery.skipped.length,
    },
  };
  let joined: string | undefined;
  return {
    get prompt() {
      return (joined ??= pieces.join(''));
    },
    pieces, manifest, analysedFiles: fresh,
    timings: {
      discoverMs: Math.round(discovered - started), analyseMs: Math.round(analysedAt - discovered),
      orderMs: Math.round(ordered - analysedAt), renderMs: Math.round(rendered - ordered), totalMs: Math.round(rendered - started),
    },
  };
}

interface AnalysedFile extends IndexedFile {
  lines: number;
  bytes: number;
  /** Tokens of the rendered full block, when the tokenizer is additive. */
  tokens?: number;
}

async function analyse(
  files: readonly SourceFile[], cache: FileCache, blockKey: string,
  settings: RenderSettings, tokenizer: TokenizerChoice, options: PackOptions,
): Promise<{ files: AnalysedFile[]; fresh: number }> {
  const additive = tokenizer.additive;
  const keys = files.map((f) => fileKey(f.path, f.text));
  const jobs: AnalyseJob[] = [];
  const jobOf = new Int32Array(files.length).fill(-1);
  let chars = 0;
  files.forEach((file, i) => {
    const entry = cache.get(keys[i]!);
    const needFacts = !entry?.facts;
    const needTokens = additive && entry?.tokens[blockKey] === undefined;
    if (!needFacts && !needTokens) return;
    jobOf[i] = jobs.length;
    jobs.push({ path: file.path, text: file.text, lines: file.lines, facts: needFacts, tokens: needTokens });
    chars += file.text.length;
  });
  let done = files.length - jobs.length;
  let tokens = 0;
  const progress = (n: number, counted: number): void => {
    done += n;
    tokens += counted;
    options.onProgress?.({ stage: 'analyse', done, total: files.length, tokens });
  };
  progress(0, 0);
  let results: AnalyseResult[];
  const threads = options.threads ?? defaultThreads();
  if (chars > INLINE_LIMIT_CHARS && threads > 1) {
    results = await analyseInWorkers(jobs, { settings, tokenizer: options.tokenizer ?? DEFAULT_TOKENIZER, threads, signal: options.signal, onProgress: progress });
  } else {
    results = [];
    for (const job of jobs) {
      throwIfCancelled(options.signal);
      const result = runAnalyseJob(job, settings, job.tokens ? tokenizer.load() : undefined);
      results.push(result);
      progress(1, result.tokens ?? 0);
    }
  }
  const analysed = files.map((file, i) => {
    const key = keys[i]!;
    const cached = cache.get(key);
    const result = jobOf[i]! >= 0 ? results[jobOf[i]!] : undefined;
    const entry = {
      language: result?.language ?? cached!.language,
      facts: result?.facts ?? cached!.facts!,
      tokens: { ...cached?.tokens },
    };
    if (result?.tokens !== undefined) entry.tokens[blockKey] = result.tokens;
    if (result) cache.set(key, entry);
    return { ...file, language: entry.language, facts: entry.facts, tokens: additive ? entry.tokens[blockKey] : undefined };
  });
  return { files: analysed, fresh: jobs.length };
}

function renderSettings(options: PackOptions): RenderSettings {
  const format = options.format ?? DEFAULT_RENDER.format;
  const lineNumbers = options.lineNumbers ?? DEFAULT_RENDER.lineNumbers;
  if (!PROMPT_FORMATS.includes(format)) throw new UsageError(`unknown --format "${format}": use ${PROMPT_FORMATS.join(', ')}`);
  if (!LINE_NUMBER_MODES.includes(lineNumbers)) {
    throw new UsageError(`unknown --line-numbers "${lineNumbers}": use ${LINE_NUMBER_MODES.join(', ')}`);
  }
  return { format, lineNumbers };
}

function checkBudget(budget: number | undefined): number | undefined {
  if (budget === undefined) return undefined;
  if (!Number.isSafeInteger(budget) || budget <= 0) {
    throw new UsageError(`--budget must be a whole number of tokens above 0 (e.g. 131072 or 128k), not "${budget}"`);
  }
  return budget;
}
