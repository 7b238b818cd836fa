import { fileKey, type FileCache } from '../cache/fileCache.js';
import type { SourceFile } from '../discover/discover.js';
import { throwIfCancelled } from '../errors.js';
import { blockKey, type RenderSettings } from '../render/render.js';
import type { TokenizerChoice } from '../tokens/tokenizer.js';
import { extractFacts } from '../imports/index.js';
import type { FileFacts, LanguageId } from '../types.js';
import { runAnalyseJob, type AnalyseJob, type AnalyseResult } from './job.js';
import { AnalysisPool } from './pool.js';

/** Below this much text to analyse, worker threads cost more to start than they save. */
const INLINE_LIMIT_CHARS = 2 * 1024 * 1024;
const BATCH_CHARS = 256 * 1024;
/**
 * Text read but not yet analysed, at most (about): reading is several times faster than counting, and
 * without a bound every text of a large repository sat in memory waiting (django: ~60 MB).
 */
const BACKLOG_CHARS = 4 * 1024 * 1024;

/** A source file with what analysis learnt of it (extended in place, or for a file the snapshot knows, wrapped). */
export interface AnalysedFile extends SourceFile {
  key: string;
  language: LanguageId;
  facts: FileFacts;
  /** Tokens of the rendered full block, when the tokenizer is additive. */
  tokens?: number;
}

export interface AnalyserOptions {
  cache: FileCache;
  settings: RenderSettings;
  tokenizer: TokenizerChoice;
  /** What to pass to workers to load the same tokenizer. */
  tokenizerSpec: string;
  /** Threads that count: worker threads, plus the main thread when `mainThreadHelps`. */
  threads: number;
  /**
   * Let the main thread count queued batches once reading is done, so one worker fewer is started
   * (each holds its own tokenizer tables). Only where blocking the event loop between batches is fine (the CLI).
   */
  mainThreadHelps?: boolean;
  /** Called once, just before the worker threads start: enough files are new that analysing them takes a while. */
  onWorkers?: () => void;
  signal?: AbortSignal;
  onProgress?: (done: number, tokens: number) => void;
  /**
   * Called for a file once its rendered block is back from counting: the caller may drop the file's text
   * (a large repository's texts are tens of MB; the block is what the prompt and the cache need).
   */
  onBlock?: (file: SourceFile) => void;
}

/**
 * Analyses files as discovery reads them: cached results are taken from the cache; the rest go to
 * worker threads in batches while reading goes on (or are analysed inline when there is little to do).
 */
export class Analyser {
  private readonly files: SourceFile[] = [];
  private readonly keys: string[] = [];
  private readonly results: (AnalyseResult | undefined)[] = [];
  /** Files the cache's snapshot answers for: their language and block tokens (their facts are read if asked). */
  private readonly known: ({ language: LanguageId; tokens: number } | undefined)[] = [];
  private pending: { index: number; job: AnalyseJob }[] = [];
  private pendingChars = 0;
  /** Characters of jobs queued or running, not yet taken back. */
  private backlogChars = 0;
  private readonly backlogWaiters: (() => void)[] = [];
  private failed = false;
  private missChars = 0;
  private fresh = 0;
  private done = 0;
  private tokens = 0;
  private pool: AnalysisPool | undefined;
  private readonly batches: Promise<void>[] = [];
  readonly blockKey: string;

  constructor(private readonly options: AnalyserOptions) {
    this.blockKey = blockKey(options.tokenizer.id, options.settings, 'full');
  }

  add(file: SourceFile): void {
    const index = this.files.length;
    this.files.push(file);
    const key = file.key ?? fileKey(file.path, file.text);
    this.keys.push(key);
    const known = file.key !== undefined && this.options.tokenizer.additive ? this.options.cache.known(key, this.blockKey) : undefined;
    if (known) {
      this.known[index] = known;
      this.progress(1, 0);
      return;
    }
    const entry = this.options.cache.get(key);
    const facts = !entry?.facts;
    const tokens = this.options.tokenizer.additive && entry?.tokens[this.blockKey] === undefined;
    if (!facts && !tokens) {
      this.progress(1, 0);
      return;
    }
    this.fresh++;
    const text = file.text;
    this.pending.push({ index, job: { path: file.path, text, lines: file.lines, facts, tokens } });
    this.pendingChars += text.length;
    this.backlogChars += text.length;
    this.missChars += text.length;
    if (!this.pool && this.missChars > INLINE_LIMIT_CHARS && this.options.threads > 1) {
      const { settings, tokenizerSpec, threads, signal, mainThreadHelps } = this.options;
      this.options.onWorkers?.();
      this.pool = new AnalysisPool({ settings, tokenizer: tokenizerSpec, threads: mainThreadHelps ? threads - 1 : threads, signal });
    }
    if (this.pool && this.pendingChars >= BATCH_CHARS) this.dispatch();
  }

  /**
   * Waits while too much read text is waiting to be analysed. Where the main thread helps, it counts
   * queued batches itself meanwhile (a batch at a time, letting other events through in between).
   */
  async drain(): Promise<void> {
    if (!this.pool || this.backlogChars <= BACKLOG_CHARS) return;
    this.dispatch();
    if (this.options.mainThreadHelps) await this.help(this.pool, () => this.backlogChars > BACKLOG_CHARS / 2);
    while (this.backlogChars > BACKLOG_CHARS / 2 && !this.failed) {
      await new Promise<void>((resolve) => this.backlogWaiters.push(resolve));
      throwIfCancelled(this.options.signal);
    }
  }

  /** Token counts of extra prompt pieces (header, footer), counted where the files were. */
  async countExtra(texts: string[]): Promise<number[]> {
    if (texts.length === 0) return []; // a warm pack: the rank tables need not load at all
    if (this.pool) {
      const results = await this.pool.run(texts.map((text) => ({ path: '', text, lines: 0, facts: false, tokens: true, raw: true })));
      return results.map((r) => r.tokens ?? 0);
    }
    const counter = this.options.tokenizer.load();
    return texts.map((text) => counter.count(text));
  }

  /** Waits for every batch; returns the files in the order they were added. */
  async finish(): Promise<{ files: AnalysedFile[]; fresh: number }> {
    if (this.pool) {
      this.dispatch();
      if (this.options.mainThreadHelps) await this.help(this.pool, () => true);
      await Promise.all(this.batches);
    } else {
      const counter = this.pending.some((p) => p.job.tokens) ? this.options.tokenizer.load() : undefined;
      for (const { index, job } of this.pending) {
        throwIfCancelled(this.options.signal);
        this.take(index, runAnalyseJob(job, this.options.settings, counter));
        this.progress(1, this.results[index]!.tokens ?? 0);
      }
      this.pending = [];
    }
    const { cache, tokenizer } = this.options;
    const files = this.files.map((file, i): AnalysedFile => {
      const key = this.keys[i]!;
      const known = this.known[i];
      if (known) return new SnapshotFile(file, key, known.language, known.tokens, cache);
      const cached = cache.get(key);
      const result = this.results[i];
      let entry = cached!;
      if (result) {
        entry = { language: result.language, facts: result.facts ?? cached!.facts!, tokens: { ...cached?.tokens } };
        if (result.tokens !== undefined) entry.tokens[this.blockKey] = result.tokens;
        cache.set(key, entry);
      }
      // Extended in place, not copied: a file known from the cache reads its text only if asked, which a copy would force.
      return Object.assign(file, {
        key, language: entry.language, facts: entry.facts!, tokens: tokenizer.additive ? entry.tokens[this.blockKey] : undefined,
      });
    });
    return { files, fresh: this.fresh };
  }

  /** Stops the workers (after success, failure or cancellation). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  private dispatch(): void {
    if (this.pending.length === 0 || !this.pool) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    const done = this.pool.run(batch.map((p) => p.job)).then((results) => {
      let counted = 0;
      results.forEach((result, k) => {
        this.take(batch[k]!.index, result);
        this.backlogChars -= batch[k]!.job.text.length;
        counted += result.tokens ?? 0;
      });
      this.progress(batch.length, counted);
    });
    const wake = (): void => {
      for (const resolve of this.backlogWaiters.splice(0)) resolve();
    };
    // A failure is reported by finish(); here it only ends any wait in drain().
    done.then(wake, () => {
      this.failed = true;
      wake();
    });
    this.batches.push(done);
  }

  /**
   * The main thread counts queued batches itself while `more()` holds, one at a time, letting worker results
   * and Ctrl-C through in between.
   */
  private async help(pool: AnalysisPool, more: () => boolean): Promise<void> {
    const counter = this.options.tokenizer.load();
    for (let batch = pool.steal(); batch; batch = more() ? pool.steal() : undefined) {
      throwIfCancelled(this.options.signal);
      batch.complete(batch.jobs.map((job) => runAnalyseJob(job, this.options.settings, counter)));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Keeps a file's result; a rendered block goes onto the file (as the cache's stored blocks do). */
  private take(index: number, result: AnalyseResult): void {
    this.results[index] = result;
    if (!result.block) return;
    const file = this.files[index]!;
    file.block = Buffer.from(result.block.buffer, result.block.byteOffset, result.block.byteLength);
    result.block = undefined;
    this.options.onBlock?.(file);
  }

  private progress(files: number, tokens: number): void {
    this.done += files;
    this.tokens += tokens;
    this.options.onProgress?.(this.done, this.tokens);
  }
}

/**
 * A file the snapshot answers for. Its text is the discovered file's (read from disk only if asked). Its imports
 * are needed only when the set of files changed (the resolved graph is cached otherwise), so they come from the
 * entries file when first asked; if that file lacks them (damaged, or left by a crash), they are extracted from the
 * text again. A class, not the discovered object extended with getters: a warm pack makes tens of thousands, and
 * an object given its own accessors turns slow to make and to read.
 */
class SnapshotFile implements AnalysedFile {
  path: string;
  bytes: number;
  lines: number;
  stamp: SourceFile['stamp'];
  block: Buffer | undefined;
  row: number | undefined;
  private found: FileFacts | undefined;

  constructor(
    private readonly source: SourceFile, readonly key: string, readonly language: LanguageId, readonly tokens: number,
    private readonly cache: FileCache,
  ) {
    this.path = source.path;
    this.bytes = source.bytes;
    this.lines = source.lines;
    this.stamp = source.stamp;
    this.block = source.block;
    this.row = source.row;
  }

  get text(): string {
    return this.source.text;
  }

  get facts(): FileFacts {
    return (this.found ??= this.cache.get(this.key)?.facts ?? extractFacts(this.language, this.text, this.path));
  }
}
