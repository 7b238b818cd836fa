import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeOutputs } from '../output/writeOutputs.js';
import type { FileFacts, LanguageId } from '../types.js';

/** Bump when extraction or rendering changes, so old entries are not trusted. */
export const CACHE_VERSION = 1;

export interface CachedFile {
  language: LanguageId;
  facts?: FileFacts;
  /** Token counts of rendered blocks, by `blockKey` (tokenizer, format, line numbers, level). */
  tokens: Record<string, number>;
}

interface CacheFileShape {
  version: number;
  entries: Record<string, CachedFile>;
  /** Token counts of other prompt pieces (repository header and footer), by tokenizer and text hash. */
  counts?: Record<string, number>;
}

/** `$LONGREPO_CACHE_DIR`, else `$XDG_CACHE_HOME/longrepo`, else the platform's user cache directory. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LONGREPO_CACHE_DIR) return env.LONGREPO_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'longrepo');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'longrepo');
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'longrepo', 'Cache');
  return join(homedir(), '.cache', 'longrepo');
}

/** The key of a file's cache entry: its path and its content (the path matters to resolution and rendering). */
export function fileKey(path: string, text: string): string {
  return createHash('sha1').update(path).update('\0').update(text).digest('base64url');
}

/**
 * Per-file analysis results of one repository, keyed by content hash, kept in one JSON file per
 * repository root so a pack loads them in one read; entries not used by a pack are dropped when it saves.
 */
export class FileCache {
  private readonly used = new Map<string, CachedFile>();
  private readonly counts = new Map<string, number>();
  private readonly loadedCounts: Map<string, number>;
  private changed = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly loaded: Map<string, CachedFile>,
    loadedCounts: Record<string, number> = {},
  ) {
    this.loadedCounts = new Map(Object.entries(loadedCounts));
  }

  /** Opens the cache of `root` under `dir`; `dir` undefined gives a cache that never touches the disk. */
  static async open(dir: string | undefined, root: string): Promise<FileCache> {
    if (!dir) return new FileCache(undefined, new Map());
    const file = join(dir, 'repos', createHash('sha1').update(root).digest('hex').slice(0, 20) + '.json');
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as CacheFileShape;
      if (parsed.version === CACHE_VERSION) return new FileCache(file, new Map(Object.entries(parsed.entries)), parsed.counts);
    } catch {
      // no cache yet, or a damaged one: start empty
    }
    return new FileCache(file, new Map());
  }

  get(key: string): CachedFile | undefined {
    const entry = this.used.get(key) ?? this.loaded.get(key);
    if (entry) this.used.set(key, entry);
    return entry;
  }

  set(key: string, entry: CachedFile): void {
    this.used.set(key, entry);
    this.changed = true;
  }

  /** The token count of a prompt piece, counted once per tokenizer and text. */
  countTokens(tokenizerId: string, text: string, count: () => number): number {
    const key = `${tokenizerId}|${createHash('sha1').update(text).digest('base64url')}`;
    let n = this.counts.get(key) ?? this.loadedCounts.get(key);
    if (n === undefined) {
      n = count();
      this.changed = true;
    }
    this.counts.set(key, n);
    return n;
  }

  /** Writes the entries this pack used; skipped when nothing changed and nothing was dropped. */
  async save(): Promise<void> {
    if (!this.file) return;
    if (!this.changed && this.used.size === this.loaded.size) return;
    const shape: CacheFileShape = { version: CACHE_VERSION, entries: Object.fromEntries(this.used), counts: Object.fromEntries(this.counts) };
    await mkdir(join(this.file, '..'), { recursive: true });
    await writeOutputs([{ path: this.file, data: JSON.stringify(shape) }]);
  }
}
