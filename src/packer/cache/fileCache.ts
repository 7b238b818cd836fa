import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { FileStamp, KnownFile, SkippedFile, SourceFile } from '../discover/discover.js';
import { writeOutputs } from '../output/writeOutputs.js';
import type { FileFacts, LanguageId } from '../types.js';

/** Bump when extraction or rendering changes, so old entries are not trusted. */
export const CACHE_VERSION = 5;
/** Token counts of prompt pieces kept in the cache at most (a line of the list of files not shown is one). */
const MAX_COUNTS = 200_000;

/** A file modified this close to the snapshot's save may have changed within the same clock tick: re-read it. */
const RACY_MS = 2000;

export interface CachedFile {
  language: LanguageId;
  facts?: FileFacts;
  /** Token counts of rendered blocks, by `blockKey` (tokenizer, format, line numbers, level). */
  tokens: Record<string, number>;
  /** The lines a signatures block leaves out, as flat [start, end, …] pairs; empty: the file has no signatures view. */
  elisions?: number[];
}

/**
 * What the last pack knew of a file, with the stamp that proves it unchanged, as a compact row (tens of
 * thousands of them load on every pack): a packed file's key, lines, size and where its rendered block
 * sits in the block store; or why the file was skipped.
 */
type SnapshotRow =
  | [size: number, mtimeMs: number, ctimeMs: number, ino: number, blob: string, key: string, lines: number, bytes: number, offset: number, length: number]
  | [size: number, mtimeMs: number, ctimeMs: number, ino: number, blob: string, reason: string];

function stampRow(stamp: FileStamp): [number, number, number, number, string] {
  return [stamp.size, stamp.mtimeMs, stamp.ctimeMs, stamp.ino, stamp.blob ?? ''];
}

interface CacheFileShape {
  version: number;
  entries: Record<string, CachedFile>;
  /** Token counts of other prompt pieces (repository header and footer), by tokenizer and text hash. */
  counts?: Record<string, number>;
  /** The files of the last pack by path, with their rendered blocks (for `render`) in the `.blocks` file beside this one. */
  snapshot?: { savedAt: number; render: string; files: Record<string, SnapshotRow> };
  /** The resolved imports of the last pack, valid while every file's path and content (`digest`) is the same. */
  graph?: { digest: string; imports: Record<string, string[]> };
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

/** A git blob id settles it; otherwise every stat field must match, and the file must not be racily new. */
function sameVersion(row: SnapshotRow, stamp: FileStamp, savedAt: number): boolean {
  if (stamp.blob || row[4]) return stamp.blob === row[4];
  return row[0] === stamp.size && row[1] === stamp.mtimeMs && row[2] === stamp.ctimeMs && row[3] === stamp.ino
    && stamp.mtimeMs < savedAt - RACY_MS && stamp.ctimeMs < savedAt - RACY_MS;
}

/** A short text (a line of the list of files not shown) is its own key, a longer one its hash (base64url: never `=`). */
function countKey(tokenizerId: string, text: string): string {
  return text.length <= 200 ? `${tokenizerId}|=${text}` : `${tokenizerId}|${createHash('sha1').update(text).digest('base64url')}`;
}

/**
 * Per-file results of one repository, kept in one JSON file per repository root:
 * - analysis results (language, imports, token counts) keyed by content hash;
 * - a snapshot of the last pack's files (size, mtime, ctime, inode) with their rendered blocks in a
 *   block store, so a warm pack stats unchanged files instead of opening, reading and rendering each
 *   one — the way git's index avoids re-reading the work tree. Files changed near the snapshot's save
 *   are always re-read.
 * Entries a pack did not use are dropped when it saves.
 */
export class FileCache {
  private readonly used = new Map<string, CachedFile>();
  private readonly counts = new Map<string, number>();
  private readonly loadedCounts: Map<string, number>;
  private changed = false;
  private blocks: Buffer | undefined;
  private reused = 0;
  private lexical: { digest: string; index: Uint8Array } | undefined;

  private constructor(
    private readonly file: string | undefined,
    /** Entries as loaded: a plain object (no copy into a Map; tens of thousands load on every pack). */
    private readonly loaded: Record<string, CachedFile>,
    loadedCounts: Record<string, number> = {},
    private readonly snapshot: CacheFileShape['snapshot'] = undefined,
    private readonly render = '',
    private graph: CacheFileShape['graph'] = undefined,
  ) {
    this.loadedCounts = new Map(Object.entries(loadedCounts));
  }

  /**
   * Opens the cache of `root` under `dir`; `dir` undefined gives a cache that never touches the disk.
   * `render` names the rendering settings: stored blocks are reused only under the same ones.
   */
  static async open(dir: string | undefined, root: string, render: string): Promise<FileCache> {
    if (!dir) return new FileCache(undefined, {});
    const file = join(dir, 'repos', createHash('sha1').update(root).digest('hex').slice(0, 20) + '.json');
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as CacheFileShape;
      if (parsed.version === CACHE_VERSION) {
        return new FileCache(file, parsed.entries, parsed.counts, parsed.snapshot, render, parsed.graph);
      }
    } catch {
      // no cache yet, or a damaged one: start empty
    }
    return new FileCache(file, {}, {}, undefined, render);
  }

  private get blocksFile(): string {
    return this.file!.replace(/\.json$/, '.blocks');
  }

  /** A lookup for discovery when there is a snapshot to reuse, else undefined (then files are read as usual). */
  get reuse(): ((path: string, stamp: FileStamp) => KnownFile | undefined) | undefined {
    const snapshot = this.snapshot;
    if (!snapshot) return undefined;
    const sameRender = snapshot.render === this.render;
    return (path, stamp) => {
      const row = snapshot.files[path];
      if (!row || !sameVersion(row, stamp, snapshot.savedAt)) return undefined;
      this.reused++;
      if (row.length === 6) return { reason: row[5] };
      const [, , , , , key, lines, bytes, offset, length] = row;
      if (!sameRender) return { key, lines, bytes };
      if (!this.blocks) {
        try {
          this.blocks = readFileSync(this.blocksFile);
        } catch {
          this.blocks = Buffer.alloc(0);
        }
      }
      if (offset + length > this.blocks.length) return { key, lines, bytes };
      return { key, lines, bytes, block: this.blocks.subarray(offset, offset + length) };
    };
  }

  get(key: string): CachedFile | undefined {
    const entry = this.used.get(key) ?? (Object.hasOwn(this.loaded, key) ? this.loaded[key] : undefined);
    if (entry) this.used.set(key, entry);
    return entry;
  }

  set(key: string, entry: CachedFile): void {
    this.used.set(key, entry);
    this.changed = true;
  }

  /** Records that an entry gained a field (elisions, another token count), so the cache is written again. */
  touched(): void {
    this.changed = true;
  }

  /** Resolved imports by path, if the last pack saw exactly the same files (same `digest`). */
  cachedImports(digest: string): Record<string, string[]> | undefined {
    return this.graph?.digest === digest ? this.graph.imports : undefined;
  }

  storeImports(digest: string, imports: Record<string, string[]>): void {
    if (this.graph?.digest === digest) return;
    this.graph = { digest, imports };
    this.changed = true;
  }

  /**
   * A place for the ranker's lexical index of exactly these files (`digest` of every path and content key),
   * in its own binary file beside the cache, read only when a pack has to be fitted. The file starts with its
   * length-prefixed JSON label (cache version and digest), padded so the index's tables stay 8-byte aligned.
   */
  lexicalCache(digest: string): { load(): Uint8Array | undefined; save(index: Uint8Array): void } {
    return {
      load: () => {
        if (!this.file) return undefined;
        try {
          const stored = readFileSync(this.lexicalFile);
          const labelLength = stored.readUInt32LE(0);
          const label = JSON.parse(stored.toString('utf8', 4, 4 + labelLength)) as { version: number; digest: string };
          return label.version === CACHE_VERSION && label.digest === digest ? stored.subarray(4 + labelLength) : undefined;
        } catch {
          return undefined; // none yet, or unreadable: the ranker builds the index
        }
      },
      save: (index) => {
        this.lexical = { digest, index };
      },
    };
  }

  private get lexicalFile(): string {
    return this.file!.replace(/\.json$/, '.lexical');
  }

  /** The cached token count of a prompt piece (repository header, footer) for a tokenizer. */
  cachedCount(tokenizerId: string, text: string): number | undefined {
    const key = countKey(tokenizerId, text);
    const n = this.counts.get(key) ?? this.loadedCounts.get(key);
    if (n !== undefined) this.counts.set(key, n);
    return n;
  }

  /**
   * The counts to save: this pack's, then earlier ones up to MAX_COUNTS. Earlier ones are kept because each question
   * lists other files as not shown; dropping them would make the next question count (and save) them again.
   */
  private keptCounts(): Record<string, number> {
    const kept = Object.fromEntries(this.counts);
    let room = MAX_COUNTS - this.counts.size;
    for (const [key, n] of this.loadedCounts) {
      if (room <= 0) break;
      if (this.counts.has(key)) continue;
      kept[key] = n;
      room--;
    }
    return kept;
  }

  /** A number derived from a pack's files and settings (named by them), kept and dropped with the counts. */
  cachedValue(name: string): number | undefined {
    return this.cachedCount('value', name);
  }

  storeValue(name: string, value: number): void {
    this.storeCount('value', name, value);
  }

  storeCount(tokenizerId: string, text: string, tokens: number): void {
    this.counts.set(countKey(tokenizerId, text), tokens);
    this.changed = true;
  }

  /**
   * Writes what this pack used, with a new snapshot of `files` (each with its key and rendered block) and
   * of content-based skips; skipped when everything came from the snapshot and nothing else changed.
   * Returns the blocks as stored, so the prompt can be written from them without rendering again.
   */
  async save<F extends SourceFile & { key: string }>(
    files: readonly F[], skipped: readonly SkippedFile[], renderBlock: (file: F) => Buffer,
  ): Promise<(Buffer | undefined)[]> {
    if (!this.file) return files.map((f) => f.block);
    if (this.lexical) {
      await mkdir(join(this.file, '..'), { recursive: true });
      const json = JSON.stringify({ version: CACHE_VERSION, digest: this.lexical.digest });
      const label = Buffer.from(json.padEnd(json.length + ((8 - ((4 + json.length) % 8)) % 8)), 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(label.length);
      await writeOutputs([{ path: this.lexicalFile, data: [length, label, Buffer.from(this.lexical.index.buffer, this.lexical.index.byteOffset, this.lexical.index.byteLength)] }]);
      await rm(this.file.replace(/\.json$/, '.lexical.json'), { force: true }); // the JSON form of earlier versions
      this.lexical = undefined;
    }
    const known = skipped.filter((s) => s.stamp).length + files.length;
    const unchanged = this.reused === known && known === Object.keys(this.snapshot?.files ?? {}).length
      && files.every((f) => f.block);
    if (!this.changed && this.used.size === Object.keys(this.loaded).length && unchanged) return files.map((f) => f.block);
    const snapshot: NonNullable<CacheFileShape['snapshot']> = { savedAt: Date.now(), render: this.render, files: {} };
    const blocks: Buffer[] = [];
    let offset = 0;
    for (const file of files) {
      const block = file.block ?? renderBlock(file);
      blocks.push(block);
      snapshot.files[file.path] = [...stampRow(file.stamp), file.key, file.lines, file.bytes, offset, block.length];
      offset += block.length;
    }
    for (const skip of skipped) if (skip.stamp) snapshot.files[skip.path] = [...stampRow(skip.stamp), skip.reason];
    const shape: CacheFileShape = {
      version: CACHE_VERSION, entries: Object.fromEntries(this.used), counts: this.keptCounts(), snapshot, graph: this.graph,
    };
    await mkdir(join(this.file, '..'), { recursive: true });
    await writeOutputs([{ path: this.blocksFile, data: blocks }, { path: this.file, data: JSON.stringify(shape) }]);
    return blocks;
  }
}
