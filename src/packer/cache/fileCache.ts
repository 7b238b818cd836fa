import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { FileStamp, KnownText, SourceFile } from '../discover/discover.js';
import { writeOutputs } from '../output/writeOutputs.js';
import type { FileFacts, LanguageId } from '../types.js';

/** Bump when extraction or rendering changes, so old entries are not trusted. */
export const CACHE_VERSION = 2;

/** A file modified this close to the snapshot's save may have changed within the same clock tick: re-read it. */
const RACY_MS = 2000;

export interface CachedFile {
  language: LanguageId;
  facts?: FileFacts;
  /** Token counts of rendered blocks, by `blockKey` (tokenizer, format, line numbers, level). */
  tokens: Record<string, number>;
}

/** Where an unchanged file's text sits in the text store, and the stamp that proves it unchanged. */
interface SnapshotEntry extends FileStamp {
  key: string;
  lines: number;
  offset: number;
  length: number;
}

interface CacheFileShape {
  version: number;
  entries: Record<string, CachedFile>;
  /** Token counts of other prompt pieces (repository header and footer), by tokenizer and text hash. */
  counts?: Record<string, number>;
  /** The files of the last pack by path, with their texts in the `.texts` file beside this one. */
  snapshot?: { savedAt: number; files: Record<string, SnapshotEntry> };
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

function countKey(tokenizerId: string, text: string): string {
  return `${tokenizerId}|${createHash('sha1').update(text).digest('base64url')}`;
}

/**
 * Per-file results of one repository, kept in one JSON file per repository root:
 * - analysis results (language, imports, token counts) keyed by content hash;
 * - a snapshot of the last pack's files (size, mtime, ctime, inode) with their texts in a text store,
 *   so a warm pack stats unchanged files instead of opening and reading each one — the way git's
 *   index avoids re-reading the work tree. Files changed near the snapshot's save are always re-read.
 * Entries a pack did not use are dropped when it saves.
 */
export class FileCache {
  private readonly used = new Map<string, CachedFile>();
  private readonly counts = new Map<string, number>();
  private readonly loadedCounts: Map<string, number>;
  private changed = false;
  private texts: Buffer | undefined;
  private reused = 0;

  private constructor(
    private readonly file: string | undefined,
    private readonly loaded: Map<string, CachedFile>,
    loadedCounts: Record<string, number> = {},
    private readonly snapshot: CacheFileShape['snapshot'] = undefined,
  ) {
    this.loadedCounts = new Map(Object.entries(loadedCounts));
  }

  /** Opens the cache of `root` under `dir`; `dir` undefined gives a cache that never touches the disk. */
  static async open(dir: string | undefined, root: string): Promise<FileCache> {
    if (!dir) return new FileCache(undefined, new Map());
    const file = join(dir, 'repos', createHash('sha1').update(root).digest('hex').slice(0, 20) + '.json');
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as CacheFileShape;
      if (parsed.version === CACHE_VERSION) {
        return new FileCache(file, new Map(Object.entries(parsed.entries)), parsed.counts, parsed.snapshot);
      }
    } catch {
      // no cache yet, or a damaged one: start empty
    }
    return new FileCache(file, new Map());
  }

  private get textsFile(): string {
    return this.file!.replace(/\.json$/, '.texts');
  }

  /** A lookup for discovery when there is a snapshot to reuse, else undefined (then files are read as usual). */
  get reuse(): ((path: string, stamp: FileStamp) => KnownText | undefined) | undefined {
    const snapshot = this.snapshot;
    if (!snapshot || Object.keys(snapshot.files).length === 0) return undefined;
    return (path, stamp) => {
      const entry = snapshot.files[path];
      if (!entry || entry.size !== stamp.size || entry.mtimeMs !== stamp.mtimeMs || entry.ctimeMs !== stamp.ctimeMs
        || entry.ino !== stamp.ino || stamp.mtimeMs >= snapshot.savedAt - RACY_MS || stamp.ctimeMs >= snapshot.savedAt - RACY_MS) {
        return undefined;
      }
      if (!this.texts) {
        try {
          this.texts = readFileSync(this.textsFile);
        } catch {
          this.texts = Buffer.alloc(0);
        }
      }
      if (entry.offset + entry.length > this.texts.length) return undefined;
      this.reused++;
      const texts = this.texts;
      return { read: () => texts.toString('utf8', entry.offset, entry.offset + entry.length), key: entry.key, lines: entry.lines };
    };
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

  /** The cached token count of a prompt piece (repository header, footer) for a tokenizer. */
  cachedCount(tokenizerId: string, text: string): number | undefined {
    const key = countKey(tokenizerId, text);
    const n = this.counts.get(key) ?? this.loadedCounts.get(key);
    if (n !== undefined) this.counts.set(key, n);
    return n;
  }

  storeCount(tokenizerId: string, text: string, tokens: number): void {
    this.counts.set(countKey(tokenizerId, text), tokens);
    this.changed = true;
  }

  /**
   * Writes what this pack used, with a new snapshot of `files` (each with its cache key); skipped when
   * every file came from the snapshot and nothing else changed.
   */
  async save(files: readonly (SourceFile & { key: string })[]): Promise<void> {
    if (!this.file) return;
    const sameFiles = this.reused === files.length && files.length === Object.keys(this.snapshot?.files ?? {}).length;
    if (!this.changed && this.used.size === this.loaded.size && sameFiles) return;
    const snapshot: NonNullable<CacheFileShape['snapshot']> = { savedAt: Date.now(), files: {} };
    let offset = 0;
    for (const file of files) {
      const length = Buffer.byteLength(file.text, 'utf8');
      snapshot.files[file.path] = { ...file.stamp, key: file.key, lines: file.lines, offset, length };
      offset += length;
    }
    const shape: CacheFileShape = {
      version: CACHE_VERSION, entries: Object.fromEntries(this.used), counts: Object.fromEntries(this.counts), snapshot,
    };
    await mkdir(join(this.file, '..'), { recursive: true });
    await writeOutputs([
      { path: this.textsFile, data: files.map((f) => f.text) },
      { path: this.file, data: JSON.stringify(shape) },
    ]);
  }
}
