import { createHash } from 'node:crypto';
import { join, resolve as resolvePath } from 'node:path';
import { Analyser, type AnalysedFile } from './analyse/analyse.js';
import { defaultThreads } from './analyse/pool.js';
import { defaultCacheDir } from './cache/cacheDir.js';
import { FileCache, promptLayoutId, type PromptLayout } from './cache/fileCache.js';
import { discoverFiles, readFileText, type Discovery, type SourceFile } from './discover/discover.js';
import { UsageError, throwIfCancelled } from './errors.js';
import { fitRepository, type SignatureCache } from './fit/fitRepository.js';
import { mapLines } from './fit/repoMap.js';
import { buildGraph, edgesOf, graphFromEdges, type DependencyGraph } from './graph/graph.js';
import { importsFor } from './imports/index.js';
import type { Manifest, ManifestFile } from './manifest.js';
import { dependencyOrder, formatOrder, orderFiles, parseOrder, withCycleOf, type OrderSpec } from './order/order.js';
import { createRanker, type Ranking } from './rank/rank.js';
import { createRepoIndex } from './repoIndex.js';
import {
  blockKey, DEFAULT_RENDER, LINE_NUMBER_MODES, PROMPT_FORMATS, renderFileBlock, renderFooter, renderHeader, renderMapFooter,
  renderMapHeader, renderMapLine, type Elision, type FileLevel, type LineNumberMode, type PromptFormat, type RenderSettings,
} from './render/render.js';
import { chooseTokenizer, DEFAULT_TOKENIZER, type TokenizerChoice } from './tokens/tokenizer.js';
import type { ImportResolver, LanguageImports } from './types.js';

export interface PackOptions {
  order?: OrderSpec | string;
  /** `cl100k` (default), `o200k` or a path to a Hugging Face tokenizer.json. */
  tokenizer?: string;
  format?: PromptFormat;
  lineNumbers?: LineNumberMode;
  /** Largest allowed prompt in tokens; undefined for unbounded. A larger repository is fitted: ranked, graded, listed. */
  budget?: number;
  /** The question the prompt is for: it ranks the files when the repository does not fit the budget. */
  question?: string;
  maxFileBytes?: number;
  defaultExcludes?: boolean;
  /** Absolute paths of this command's outputs, never packed (see DiscoverOptions.outputs). */
  outputs?: readonly string[];
  /** Cache directory; `null` turns the cache off; undefined uses the default location. */
  cacheDir?: string | null;
  threads?: number;
  /** Let the main thread count too (one worker fewer, less memory); it blocks the event loop between batches. */
  mainThreadHelps?: boolean;
  /** Called once if the pack starts worker threads to analyse new files (a cold pack, or many edits). */
  onWorkers?: () => void;
  signal?: AbortSignal;
  onProgress?: (progress: PackProgress) => void;
  /**
   * The caller writes the prompt to a file: when the prompt is byte for byte the one the cache's block store holds
   * (an unchanged repository packed whole again), the store is left unread and offered as `storedPrompt`.
   */
  promptToFile?: boolean;
}

export interface PackProgress {
  stage: 'scan' | 'analyse';
  done: number;
  total: number;
  /** Tokens counted so far (analyse stage). */
  tokens?: number;
}

export interface PackResult {
  /** The whole prompt, joined on first use (a large repository's prompt is tens of megabytes). */
  readonly prompt: string;
  /**
   * The prompt in pieces (header, one block per file, footer) as text or UTF-8 bytes, for writing without joining.
   * `replace` swaps the blocks of some files (by path) for other text, as secret redaction does.
   */
  pieces(replace?: ReadonlyMap<string, string>): Iterable<string | Buffer>;
  /** The block of a file shown in the prompt (full or signatures), exactly as the prompt has it; undefined for others. */
  block(path: string): string | undefined;
  /** The content key of a packed file (a hash of its path and text), for caches of per-file results. */
  keyOf(path: string): string | undefined;
  /** Tokens of the whole prompt with some blocks replaced (see `pieces`), counted as `manifest.totalTokens` is. */
  totalTokensWith(replace: ReadonlyMap<string, string>): number;
  manifest: Manifest;
  timings: { discoverMs: number; analyseMs: number; orderMs: number; renderMs: number; totalMs: number };
  /** Files analysed afresh by this pack; the others came from the cache. */
  analysedFiles: number;
  /** What the user should hear although the pack is complete (the cache could not be written). */
  notices: readonly string[];
  /**
   * With `promptToFile`: a file that holds exactly this prompt (the cache's block store, still open), to copy in the
   * kernel rather than reading and writing tens of megabytes; `pieces` still works. Valid until `close`.
   */
  readonly storedPrompt?: { path: string; size: number };
  /** Lets go of the cache's block store if the result still holds it (see `storedPrompt`); blocks read stay valid. */
  close(): void;
}

/** Packs a repository: discover → analyse → graph → order → render, with token counts of the rendered prompt. */
export async function pack(root: string, options: PackOptions = {}): Promise<PackResult> {
  const started = performance.now();
  const settings = renderSettings(options);
  const order = typeof options.order === 'string' ? parseOrder(options.order) : (options.order ?? { name: 'dependency' });
  const budget = checkBudget(options.budget);
  const tokenizer = chooseTokenizer(options.tokenizer ?? DEFAULT_TOKENIZER);

  const absRoot = resolvePath(root);
  const cacheDir = options.cacheDir === null ? undefined : (options.cacheDir ?? defaultCacheDir());
  const threads = options.threads ?? defaultThreads();
  // Reading and analysis overlap: while scanning, progress shows files read and tokens counted so far;
  // after it, files analysed out of all files.
  const progress = { scanned: 0, candidates: 0, analysed: 0, files: 0, tokens: 0, scanning: true };
  const report = (): void => options.onProgress?.(progress.scanning
    ? { stage: 'scan', done: progress.scanned, total: progress.candidates, tokens: progress.tokens }
    : { stage: 'analyse', done: progress.analysed, total: progress.files, tokens: progress.tokens });
  // The cache loads while git lists the files; the analyser starts when it has the cache.
  let analyser: Analyser | undefined;
  // A pack to fit ranks the last pack's files once the cache is open, while git still lists the files; it keeps that
  // ranking if it finds the same files. (Ranking while the block store is read was slower: git, the read and the
  // ranking then compete for the two cores.)
  let ahead: RankedAhead | undefined;
  const rankEarly = budget === undefined ? undefined : (cache: FileCache): void => {
    try {
      ahead = rankAhead(cache, budget, options.question, blockKey(tokenizer.id, settings, 'full'));
    } catch {
      // work ahead only: the pack ranks as usual, and reports what went wrong itself
    }
  };
  // A pack to fit reads the stored blocks of the files it shows, not the whole store.
  const reading = budget !== undefined ? 'asked' : options.promptToFile ? 'prompt' : 'whole';
  const ready = FileCache.open(cacheDir, absRoot, `${settings.format}|${settings.lineNumbers}|full`, reading).then((cache) => {
    rankEarly?.(cache);
    const started = new Analyser({
      cache, settings, tokenizer, tokenizerSpec: options.tokenizer ?? DEFAULT_TOKENIZER, threads, signal: options.signal,
      mainThreadHelps: options.mainThreadHelps, onWorkers: options.onWorkers,
      onBlock: (file) => forgetText(file, absRoot),
      onProgress: (done, tokens) => {
        progress.analysed = done;
        progress.tokens = tokens;
        if (!progress.scanning) report();
      },
    });
    analyser = started;
    return { cache, analyser: started };
  });
  let result: PackResult | undefined;
  try {
    result = await packWith(absRoot, ready, () => ahead, settings, tokenizer, order, budget, options, started, (stage) => {
      Object.assign(progress, stage);
      report();
    });
    return result;
  } finally {
    await analyser?.close();
    // The block store, if a fitted pack opened it, unless the result offers it as the prompt.
    if (!result?.storedPrompt) void ready.then(({ cache }) => cache.close(), () => undefined);
  }
}

async function packWith(
  absRoot: string, ready: Promise<{ cache: FileCache; analyser: Analyser }>, ahead: () => RankedAhead | undefined,
  settings: RenderSettings, tokenizer: TokenizerChoice,
  order: OrderSpec, budget: number | undefined, options: PackOptions, started: number,
  onStage: (update: { scanned?: number; candidates?: number; files?: number; scanning?: boolean }) => void,
): Promise<PackResult> {
  const discovery = await discoverFiles(absRoot, {
    maxFileBytes: options.maxFileBytes, defaultExcludes: options.defaultExcludes, outputs: options.outputs, signal: options.signal,
    onProgress: (scanned, candidates) => onStage({ scanned, candidates }),
    hooks: ready.then(({ cache, analyser }) => ({
      peek: cache.peek, keep: (known) => cache.keep(known), onFile: (file) => analyser.add(file), drain: () => analyser.drain(),
    })),
  });
  const { cache, analyser } = await ready;
  onStage({ scanning: false, files: discovery.files.length });
  if (discovery.files.length === 0) {
    const reasons = new Map<string, number>();
    for (const { reason } of discovery.skipped) {
      const kind = reason.replace(/ \(.*$/, '').replace(/^.* is over the .*$/, 'too large');
      reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
    }
    const summary = [...reasons].map(([kind, n]) => `${n} ${kind}`).join(', ');
    const why = discovery.skipped.length > 0 ? `all ${discovery.skipped.length} files were skipped (${summary})` : 'it has no files';
    throw new UsageError(`nothing to pack in ${discovery.root}: ${why}; point longrepo at a directory with source files`);
  }
  const discovered = performance.now();
  const header = renderHeader({ name: discovery.name, revision: discovery.revision, files: discovery.files.length, order: formatOrder(order) }, settings);
  const footer = renderFooter(settings);
  const { files: analysed, fresh } = await analyser.finish();
  if (tokenizer.additive) {
    const missing = [header, footer].filter((text) => cache.cachedCount(tokenizer.id, text) === undefined);
    const counted = await analyser.countExtra(missing);
    missing.forEach((text, k) => cache.storeCount(tokenizer.id, text, counted[k]!));
  }
  await analyser.close(); // the workers' memory is not needed for resolving, rendering and writing
  if (tokenizer.additive) tokenizer.release(); // every count is known now
  const analysedAt = performance.now();

  const digest = digestOf(analysed, cache);
  const early = ahead();
  const same = early?.digest === digest ? early : undefined; // the same paths and contents: the same graph and ranking
  const graph = same?.graph ?? resolveImports(discovery, analysed, cache, digest);
  const known = cache.cachedOrder(digest);
  const dependency = known ? withCycleOf(analysed.length, known.order, known.cycles) : dependencyOrder(graph);
  if (!known) cache.storeOrder(digest, dependency);
  const ordering = await orderFiles(graph, order, discovery.root, discovery.git, dependency);
  throwIfCancelled(options.signal);
  const ordered = performance.now();

  const render = (file: AnalysedFile): string =>
    renderFileBlock({ path: file.path, text: file.text, lines: file.lines, level: 'full' }, settings);
  const fullTokens = analysed.map((file) => file.tokens ?? tokenizer.load().count(file.block?.toString('utf8') ?? render(file)));
  const fixedTokens = tokenizer.additive ? cache.cachedCount(tokenizer.id, header)! + cache.cachedCount(tokenizer.id, footer)! : 0;
  const wholeTokens = fixedTokens + fullTokens.reduce((sum, n) => sum + n, 0);
  const depthName = `map depth|${tokenizer.id}|${settings.format}|${settings.lineNumbers}|${budget}|${digest}`;
  // A repository that fits is packed whole, whatever the question: the prompt then never depends on it.
  const fit = budget !== undefined && (!tokenizer.additive || wholeTokens > budget)
    ? await fitRepository({
      analysed, graph, fullTokens, fixedTokens, budget, question: options.question, ranking: same?.ranking, settings, tokenizer,
      signal: options.signal, lexicalCache: cache.lexicalCache(digest), signatureCache: signatureCache(cache, analysed, settings, tokenizer),
      mapDepthCache: { get: () => cache.cachedValue(depthName), set: (depth) => cache.storeValue(depthName, depth) },
      countPiece: (text) => {
        const cached = cache.cachedCount(tokenizer.id, text);
        if (cached !== undefined) return cached;
        const counted = tokenizer.load().count(text);
        cache.storeCount(tokenizer.id, text, counted);
        return counted;
      },
    })
    : undefined;
  const level = (i: number): FileLevel => fit?.level[i] ?? 'full';
  // Files are in path order (discovery sorts them), so index order is path order.
  const omitted = fit ? analysed.flatMap((_, i) => (fit.level[i] === 'omitted' ? [i] : [])) : [];
  const shown = ordering.order.filter((i) => level(i) !== 'omitted');

  // Blocks come from the cache's block store when it has them; others are rendered when the prompt is written.
  let stored: (Buffer | undefined)[] = analysed.map((f) => f.block);
  // Blocks shown in full that are still only in the store, to read before the pieces are made (set after saving).
  let unread: number[] = [];
  const readStored = (): void => {
    if (unread.length > BLOCKS_READ_ONE_BY_ONE) cache.loadBlocks();
    for (const i of unread) stored[i] = cache.storedBlock(analysed[i]!.row!);
    unread = [];
  };
  const blockOf = (i: number): string | Buffer => level(i) === 'signatures'
    ? renderFileBlock({ path: analysed[i]!.path, text: analysed[i]!.text, lines: analysed[i]!.lines, level: 'signatures', elisions: fit!.elisions.get(i) }, settings)
    : stored[i] ?? render(analysed[i]!);
  function* pieces(replace?: ReadonlyMap<string, string>): Generator<string | Buffer> {
    readStored();
    yield header;
    if (omitted.length > 0) {
      yield renderMapHeader(settings);
      for (const line of mapLines(omitted.map((i) => analysed[i]!.path), fit!.mapDepth)) yield renderMapLine(line, settings);
      yield renderMapFooter(settings);
    }
    for (const i of shown) yield replace?.get(analysed[i]!.path) ?? blockOf(i);
    yield footer;
  }
  const files: ManifestFile[] = [];
  for (const i of [...omitted, ...shown]) {
    const file = analysed[i]!;
    const fields: ManifestFile = {
      path: file.path, language: file.language, bytes: file.bytes, lines: file.lines, tokens: fit?.tokens[i] ?? fullTokens[i]!,
      level: level(i), imports: graph.imports[i]!.map((t) => graph.paths[t]!),
    };
    if (ordering.cycleOf[i]! >= 0) fields.cycle = ordering.cycleOf[i]!;
    if (fit) fields.rank = fit.rank[i]!;
    files.push(fit ? new FittedManifestFile(fields, fit, i) : fields);
  }
  const totalTokens = fit ? fit.total : tokenizer.additive ? wholeTokens : tokenizer.load().count(joinPieces(pieces()));
  // Once a file's block is stored, its text is not needed to write the prompt (signatures are rendered from it):
  // let it go (tens of MB on a large repository).
  const keepText = new Set(shown.filter((i) => level(i) === 'signatures').map((i) => analysed[i]!));
  // A whole pack's store is its prompt (the next pack of the same files copies it: see `storedPrompt`).
  const layout: PromptLayout | undefined = fit ? undefined
    : { id: promptLayoutId(header, footer, ordering.order.map((i) => analysed[i]!.key)), header, footer, order: ordering.order };
  stored = await cache.save(analysed, discovery.skipped, analyser.blockKey, (file) => {
    const block = Buffer.from(render(file), 'utf8');
    if (!keepText.has(file)) forgetText(file, discovery.root);
    return block;
  }, layout);
  const storedPrompt = options.promptToFile && layout ? cache.storedPrompt(layout) : undefined;
  // The blocks shown in full that are still in the store (a fitted pack did not read it whole, nor a pack whose
  // prompt is the store): read them now, so the prompt needs no open store (`pack` closes it); or, when the store
  // is offered as the prompt, when the pieces are first asked for.
  unread = shown.filter((i) => level(i) === 'full' && stored[i] === undefined && analysed[i]!.row !== undefined);
  if (!storedPrompt) readStored();
  const rendered = performance.now();

  const manifest: Manifest = {
    version: 1,
    repository: { name: discovery.name, revision: discovery.revision ?? null },
    order: formatOrder(order),
    tokenizer: tokenizer.id,
    format: settings.format,
    lineNumbers: settings.lineNumbers,
    budget: budget ?? null,
    question: fit ? (options.question ?? null) : null,
    totalTokens,
    files,
    skipped: discovery.skipped.map(({ path, reason }) => ({ path, reason })),
    cycles: ordering.cycles.map((members) => members.map((m) => graph.paths[m]!)),
    stats: {
      files: files.length,
      bytes: files.reduce((sum, f) => sum + f.bytes, 0),
      edges: graph.imports.reduce((sum, list) => sum + list.length, 0),
      skipped: discovery.skipped.length,
    },
  };
  let joined: string | undefined;
  let byPath: Map<string, number> | undefined;
  const indexOf = (path: string): number | undefined => (byPath ??= new Map(analysed.map((f, i) => [f.path, i]))).get(path);
  const block = (path: string): string | undefined => {
    const i = indexOf(path);
    if (i === undefined || level(i) === 'omitted') return undefined;
    readStored();
    const piece = blockOf(i);
    return typeof piece === 'string' ? piece : piece.toString('utf8');
  };
  return {
    get prompt() {
      return (joined ??= joinPieces(pieces()));
    },
    pieces, manifest, analysedFiles: fresh, block, notices: cache.problem ? [cache.problem] : [], storedPrompt,
    close: () => cache.close(),
    keyOf: (path) => {
      const i = indexOf(path);
      return i === undefined ? undefined : analysed[i]!.key;
    },
    totalTokensWith(replace) {
      if (replace.size === 0) return totalTokens;
      const counter = tokenizer.load();
      if (!counter.additive) return counter.count(joinPieces(pieces(replace)));
      let total = totalTokens;
      for (const [path, text] of replace) {
        const before = block(path);
        if (before !== undefined) total += counter.count(text) - counter.count(before);
      }
      return total;
    },
    timings: {
      discoverMs: Math.round(discovered - started), analyseMs: Math.round(analysedAt - discovered),
      orderMs: Math.round(ordered - analysedAt), renderMs: Math.round(rendered - ordered), totalMs: Math.round(rendered - started),
    },
  };
}

/**
 * A file of a fitted pack in the manifest: its reason is made when read (most of a large repository's never are) and
 * written out by `toJSON` after the other fields. A class, so that its tens of thousands of instances share one shape
 * (an accessor defined on each object gave each its own, which cost ~40 ms on babel).
 */
class FittedManifestFile implements ManifestFile {
  declare path: string;
  declare language: string;
  declare bytes: number;
  declare lines: number;
  declare tokens: number;
  declare level: FileLevel;
  declare imports: string[];
  declare cycle?: number;
  declare rank?: number;
  readonly #fit: { reason(i: number): string };
  readonly #index: number;

  constructor(fields: ManifestFile, fit: { reason(i: number): string }, index: number) {
    Object.assign(this, fields);
    this.#fit = fit;
    this.#index = index;
  }

  get reason(): string {
    return this.#fit.reason(this.#index);
  }

  toJSON(): ManifestFile {
    return { ...this, reason: this.reason };
  }
}

/** Blocks a fitted pack reads from the store one by one at most; for more, it reads the store in one call. */
const BLOCKS_READ_ONE_BY_ONE = 500;

/** `filesDigest` of the analysed files. */
function digestOf(analysed: readonly AnalysedFile[], cache: FileCache): string {
  // The last pack's files again (the usual warm pack): their digest is known, and comparing costs less than hashing.
  const last = cache.lastPack();
  return last && last.paths.length === analysed.length && analysed.every((f, i) => f.path === last.paths[i] && f.key === last.keys[i])
    ? last.digest : filesDigest(analysed.map((f) => f.path), analysed.map((f) => f.key));
}

/**
 * The import graph: each file's imports resolved to repository files. Resolution looks across files (configs,
 * packages), so its result is cached for the whole set: the same paths with the same contents give the same graph.
 */
function resolveImports(discovery: Discovery, analysed: readonly AnalysedFile[], cache: FileCache, digest: string): DependencyGraph {
  const paths = analysed.map((f) => f.path);
  const cached = cache.cachedEdges(digest);
  if (cached) return graphFromEdges(paths, cached);
  const index = createRepoIndex(discovery.root, analysed, discovery.listed);
  const resolvers = new Map<LanguageImports, ImportResolver>();
  const imports: Record<string, string[]> = {};
  for (const file of analysed) {
    const family = importsFor(file.language);
    if (!family || file.facts.imports.length === 0) continue;
    let resolve = resolvers.get(family);
    if (!resolve) resolvers.set(family, (resolve = family.createResolver(index)));
    const targets = resolve(file.path, file.facts);
    if (targets.length > 0) imports[file.path] = targets;
  }
  const graph = buildGraph(paths, (path) => imports[path] ?? []);
  cache.storeEdges(digest, edgesOf(graph));
  return graph;
}

/** Names a set of files by every path and content key, in order: what the cached graph and lexical index belong to. */
function filesDigest(paths: readonly string[], keys: readonly string[]): string {
  const hash = createHash('sha1');
  paths.forEach((path, i) => hash.update(path).update('\0').update(keys[i]!).update('\0'));
  return hash.digest('base64url');
}

interface RankedAhead {
  /** `filesDigest` of the files ranked. */
  digest: string;
  graph: DependencyGraph;
  ranking: Ranking;
}

/**
 * Ranks the files of the last pack for the question, from the cache alone (its graph and lexical index), while
 * git lists the files and the main thread would wait: a warm fitted pack finds the same files and skips ranking.
 * Nothing when the last pack fitted the budget whole, or the cache lacks what ranking needs.
 */
function rankAhead(cache: FileCache, budget: number, question: string | undefined, tokensKey: string): RankedAhead | undefined {
  const last = cache.lastPack();
  if (!last || last.tokensKey !== tokensKey || last.tokens <= budget) return undefined;
  const { digest } = last;
  const edges = cache.cachedEdges(digest);
  if (!edges) return undefined;
  const graph = graphFromEdges(last.paths, edges);
  const lexical = cache.lexicalCache(digest);
  const ranker = createRanker({ paths: graph.paths, imports: graph.imports, text: () => '' }, { load: () => lexical.load(), save: () => undefined });
  // Ready: the index is cached (it is never built from these empty texts).
  return ranker.ready(question) ? { digest, graph, ranking: ranker.rank(question) } : undefined;
}

/**
 * Each file's signatures view kept in its cache entry: the elided lines (they depend on the text only) and the
 * tokens of the block under these settings. Elisions known but tokens not (another tokenizer) are counted here.
 */
function signatureCache(cache: FileCache, analysed: readonly AnalysedFile[], settings: RenderSettings, tokenizer: TokenizerChoice): SignatureCache {
  const viewKey = blockKey(tokenizer.id, settings, 'signatures');
  return {
    get(i) {
      const known = cache.knownView(analysed[i]!.row, analysed[i]!.key, viewKey);
      if (known !== undefined) return known;
      const entry = cache.get(analysed[i]!.key);
      if (!entry?.elisions) return undefined;
      if (entry.elisions.length === 0) return null;
      let tokens = entry.tokens[viewKey];
      if (tokens === undefined) {
        const file = analysed[i]!;
        const elisions: Elision[] = [];
        for (let k = 0; k < entry.elisions.length; k += 2) elisions.push({ start: entry.elisions[k]!, end: entry.elisions[k + 1]! });
        tokens = tokenizer.load().count(renderFileBlock({ path: file.path, text: file.text, lines: file.lines, level: 'signatures', elisions }, settings));
        entry.tokens[viewKey] = tokens;
        cache.touched();
      }
      return { elided: entry.elisions, tokens };
    },
    set(i, view) {
      const entry = cache.get(analysed[i]!.key);
      if (!entry) return;
      entry.elisions = view ? [...view.elided] : [];
      if (view) entry.tokens[viewKey] = view.tokens;
      cache.touched();
    },
  };
}

/** Replaces a file's text in memory by a read from disk on demand. */
function forgetText(file: SourceFile, root: string): void {
  if (Object.getOwnPropertyDescriptor(file, 'text')?.get) return; // already read on demand
  Object.defineProperty(file, 'text', { get: () => readFileText(join(root, file.path)), configurable: true });
}

function joinPieces(pieces: Iterable<string | Buffer>): string {
  const parts: string[] = [];
  for (const piece of pieces) parts.push(typeof piece === 'string' ? piece : piece.toString('utf8'));
  return parts.join('');
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
