import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileStamp, KnownFile, SkippedFile, SourceFile } from '../discover/discover.js';
import { writeOutputs } from '../output/writeOutputs.js';
import type { FileFacts, LanguageId } from '../types.js';

/** Bump when extraction or rendering changes, so old entries are not trusted. */
export const CACHE_VERSION = 7;
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
 * What the last pack knew of each file, as columns (tens of thousands of rows load on every pack; parsing
 * one JSON object per file took 30 ms of a warm pack of babel). Stored in the index file after its JSON
 * header: nine numbers per row as raw float64 (size, mtimeMs, ctimeMs, ino: the stamp, unless a git blob
 * id stands for it; then for a packed file its lines, bytes, where its rendered block sits in the block
 * store and the tokens of that block, -1 unknown; for a skipped file, -1s), then `\0`-joined UTF-8 text
 * columns (`\0` never occurs in a path). A file's signatures view is `tokens|start,end,…` (its elided
 * lines, and the tokens of its signatures block under the same settings, -1 unknown), `tokens|` when the
 * file has none, '' when not yet made: a warm fitted pack needs nothing else from the entries file.
 */
interface SnapshotMeta {
  savedAt: number;
  /** Rendering settings of the stored blocks. */
  render: string;
  /** The block key (tokenizer and rendering) the token column counts. */
  tokensKey: string;
  rows: number;
  /** Byte length of each text column, in TEXT_COLUMNS order. */
  lengths: number[];
  /**
   * Set when the block store is byte for byte the prompt of the pack that saved it (a whole pack: its header, its
   * blocks in prompt order, its footer): the prompt's `PromptLayout.id`, and its size in bytes.
   */
  prompt?: { id: string; size: number };
}

/**
 * A whole pack's prompt as the block store keeps it. `id` names the prompt's bytes: a hash of the header, the footer
 * and the files' content keys in prompt order (the rendering settings are the snapshot's own).
 */
export interface PromptLayout {
  id: string;
  header: string;
  footer: string;
  /** File indices (as in `save`'s `files`) in prompt order. */
  order: readonly number[];
}

/** The `PromptLayout.id` of a prompt of these files' content keys in this order, between this header and footer. */
export function promptLayoutId(header: string, footer: string, keysInOrder: Iterable<string>): string {
  const hash = createHash('sha1').update(header).update('\0').update(footer);
  for (const key of keysInOrder) hash.update('\0').update(key);
  return hash.digest('base64url');
}

/** The store is offered as a prompt to copy only where an open descriptor has a path (`/proc/self/fd`). */
const COPY_FROM_DESCRIPTOR = process.platform === 'linux';

/** How `FileCache.open` reads the block store. */
export type BlockReading =
  /** All of it at once, while git lists the files: a whole pack shows every block. */
  | 'whole'
  /** Block by block when asked (`storedBlock`): a fitted pack shows a few dozen of thousands of files. */
  | 'asked'
  /**
   * For a whole pack whose prompt goes to a file: block by block when the store is the last whole pack's prompt
   * (if this pack's is the same, it is copied from the store unread: see `storedPrompt`), else whole; whole where
   * the store cannot be offered.
   */
  | 'prompt';

const TEXT_COLUMNS = ['paths', 'blobs', 'keys', 'languages', 'reasons', 'views'] as const;
type TextColumns = Record<(typeof TEXT_COLUMNS)[number], string[]>;
const COLUMNS = 9;

/** The snapshot's columns as loaded, with a row per path made on first lookup. */
class Snapshot {
  private rows: Map<string, number> | undefined;

  constructor(readonly meta: SnapshotMeta, private readonly numbers: Float64Array, private readonly text: TextColumns) {
    if (TEXT_COLUMNS.some((name) => text[name].length !== meta.rows) || numbers.length !== meta.rows * COLUMNS) {
      throw new Error('damaged snapshot');
    }
  }

  /** Reads the snapshot that follows the index file's header at `offset` (8-byte aligned within `data`). */
  static read(meta: SnapshotMeta, data: Buffer, offset: number): Snapshot {
    const count = meta.rows * COLUMNS;
    const at = data.byteOffset + offset;
    const numbers = at % 8 === 0
      ? new Float64Array(data.buffer, at, count)
      : new Float64Array(data.buffer.slice(at, at + count * 8));
    let start = offset + count * 8;
    const text = {} as TextColumns;
    TEXT_COLUMNS.forEach((name, k) => {
      const end = start + meta.lengths[k]!;
      text[name] = meta.rows === 0 ? [] : data.toString('utf8', start, end).split('\0');
      start = end;
    });
    return new Snapshot(meta, numbers, text);
  }

  get paths(): readonly string[] {
    return this.text.paths;
  }

  row(path: string): number | undefined {
    if (!this.rows) {
      this.rows = new Map();
      this.text.paths.forEach((p, i) => this.rows!.set(p, i));
    }
    return this.rows.get(path);
  }

  /** A git blob id settles it; otherwise every stat field must match, and the file must not be racily new. */
  sameVersion(row: number, stamp: FileStamp): boolean {
    const blob = this.text.blobs[row]!;
    if (stamp.blob || blob) return stamp.blob === blob;
    const n = this.numbers;
    const at = row * COLUMNS;
    const savedAt = this.meta.savedAt;
    return n[at] === stamp.size && n[at + 1] === stamp.mtimeMs && n[at + 2] === stamp.ctimeMs && n[at + 3] === stamp.ino
      && stamp.mtimeMs < savedAt - RACY_MS && stamp.ctimeMs < savedAt - RACY_MS;
  }

  /** Where row `row`'s rendered block lies in the block store: [start, end). */
  blockRange(row: number): [number, number] {
    const offset = this.numbers[row * COLUMNS + 6]!;
    return [offset, offset + this.numbers[row * COLUMNS + 7]!];
  }

  /** What row `row` knows of its file, with its rendered block when `blocks` (the block store, read whole) holds it. */
  known(row: number, blocks: Buffer | undefined): KnownFile {
    const reason = this.text.reasons[row]!;
    if (reason) return { reason, ref: row };
    const at = row * COLUMNS;
    const n = this.numbers;
    const key = this.text.keys[row]!;
    const offset = n[at + 6]!;
    const end = offset + n[at + 7]!;
    return blocks && end <= blocks.length
      ? { key, lines: n[at + 4]!, bytes: n[at + 5]!, block: blocks.subarray(offset, end), ref: row }
      : { key, lines: n[at + 4]!, bytes: n[at + 5]!, ref: row };
  }

  /** The content key of a packed file; undefined for a skipped one. */
  packedKey(row: number): string | undefined {
    return this.text.reasons[row] ? undefined : this.text.keys[row];
  }

  language(row: number): LanguageId {
    return this.text.languages[row] as LanguageId;
  }

  tokens(row: number): number | undefined {
    const tokens = this.numbers[row * COLUMNS + 8]!;
    return tokens >= 0 ? tokens : undefined;
  }

  view(row: number): string {
    return this.text.views[row]!;
  }
}

/**
 * A signatures view from the snapshot: its tokens at once, its elided lines parsed when asked for (fitting looks at
 * thousands of files' views, and shows few of them as signatures).
 */
class StoredView {
  private parsed: number[] | undefined;
  constructor(private readonly text: string, private readonly bar: number, readonly tokens: number) {}
  get elided(): readonly number[] {
    return (this.parsed ??= this.text.slice(this.bar + 1).split(',').map(Number));
  }
}

/** A signatures view as the snapshot writes it (see SnapshotMeta). */
function viewText(elisions: readonly number[] | undefined, tokens: number | undefined): string {
  return elisions === undefined ? '' : `${tokens ?? -1}|${elisions.join(',')}`;
}

/** A row of `FileCache.views` not looked at yet. */
const NOT_READ = 0;

/** Builds the snapshot's columns row by row. */
class SnapshotWriter {
  private readonly text: TextColumns = { paths: [], blobs: [], keys: [], languages: [], reasons: [], views: [] };
  private readonly numbers: number[] = [];

  add(
    path: string, stamp: FileStamp,
    packed: { key: string; language: string; lines: number; bytes: number; offset: number; length: number; tokens?: number; view: string } | { reason: string },
  ): void {
    const { text } = this;
    text.paths.push(path);
    text.blobs.push(stamp.blob ?? '');
    this.numbers.push(stamp.size, stamp.mtimeMs, stamp.ctimeMs, stamp.ino);
    if ('reason' in packed) {
      text.keys.push('');
      text.languages.push('');
      text.reasons.push(packed.reason);
      text.views.push('');
      this.numbers.push(-1, -1, -1, -1, -1);
    } else {
      text.keys.push(packed.key);
      text.languages.push(packed.language);
      text.reasons.push('');
      text.views.push(packed.view);
      this.numbers.push(packed.lines, packed.bytes, packed.offset, packed.length, packed.tokens ?? -1);
    }
  }

  /** The snapshot's header entry and the bytes that follow the header. */
  finish(savedAt: number, render: string, tokensKey: string, prompt: SnapshotMeta['prompt']): { meta: SnapshotMeta; data: Buffer[] } {
    const columns = TEXT_COLUMNS.map((name) => Buffer.from(this.text[name].join('\0'), 'utf8'));
    const numbers = new Float64Array(this.numbers);
    return {
      meta: { savedAt, render, tokensKey, rows: this.text.paths.length, lengths: columns.map((c) => c.length), ...(prompt ? { prompt } : {}) },
      data: [Buffer.from(numbers.buffer, numbers.byteOffset, numbers.byteLength), ...columns],
    };
  }
}

/** What `FileCache.lastPack` tells of the files the last pack packed. */
export interface LastPack {
  paths: string[];
  keys: string[];
  digest: string;
  tokens: number;
  tokensKey: string;
}

/** The JSON header of the index file. */
interface IndexHeader {
  version: number;
  /** Names the entries file written with this one: a pair left mismatched by a crash is not trusted. */
  entriesId: string;
  /** Token counts of other prompt pieces (repository header and footer), by tokenizer and text hash. */
  counts?: Record<string, number>;
  /** The files of the last pack (columns after the header), with their rendered blocks (for `render`) in the `.blocks` file. */
  snapshot?: SnapshotMeta;
  /** The import graph of the last pack, valid while every file's path and content (`digest`) is the same. */
  graph?: {
    digest: string;
    /** Each importing file with the files it imports, as indices in path order (made into a graph in ~1 ms; by path, ~25 ms on babel). */
    edges: [from: number, to: readonly number[]][];
    /** The dependency order of these files (indices in path order) and its cycles: ~65 ms to compute on babel. */
    order?: { order: number[]; cycles: number[][] };
  };
}

/** The block key of a signatures view under the settings of a full block's key. */
function signaturesKey(fullKey: string): string {
  return fullKey.replace(/\|full$/, '|signatures');
}

/** A length-prefixed JSON label padded so that what follows it is 8-byte aligned (typed arrays read in place). */
function labelBytes(label: unknown): Buffer[] {
  const json = JSON.stringify(label);
  const bytes = Buffer.from(json, 'utf8');
  const padded = Buffer.concat([bytes, Buffer.alloc((8 - ((4 + bytes.length) % 8)) % 8, ' ')]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(padded.length);
  return [length, padded];
}

/** Reads a label written by `labelBytes`; returns it with the offset of the bytes after it. */
function readLabel<T>(data: Buffer): { label: T; offset: number } {
  const length = data.readUInt32LE(0);
  return { label: JSON.parse(data.toString('utf8', 4, 4 + length)) as T, offset: 4 + length };
}

/** The analysis results by content key, in their own file: a warm pack of unchanged files never reads it. */
interface EntriesFileShape {
  version: number;
  entriesId: string;
  entries: Record<string, CachedFile>;
}

/** The key of a file's cache entry: its path and its content (the path matters to resolution and rendering). */
export function fileKey(path: string, text: string): string {
  return createHash('sha1').update(path).update('\0').update(text).digest('base64url');
}

/** A short text (a line of the list of files not shown) is its own key, a longer one its hash (base64url: never `=`). */
function countKey(tokenizerId: string, text: string): string {
  return text.length <= 200 ? `${tokenizerId}|=${text}` : `${tokenizerId}|${createHash('sha1').update(text).digest('base64url')}`;
}

/**
 * Per-file results of one repository, in files named by a hash of its root:
 * - `.index`: a JSON header (token counts of prompt pieces, the resolved imports) and a snapshot of the
 *   last pack's files (git blob id, or size, mtime, ctime, inode; content key, language, block tokens),
 *   so a warm pack stats unchanged files instead of opening, reading, analysing and rendering each one —
 *   the way git's index avoids re-reading the work tree. Files changed near the snapshot's save are
 *   always re-read;
 * - `.blocks`: the snapshot's rendered blocks; after a whole pack, in prompt order between the prompt's header and
 *   footer, so that the store is that prompt byte for byte;
 * - `.entries.json`: analysis results (language, imports, token counts, signatures) by content key, read
 *   only when a pack needs more than the snapshot has;
 * - `.lexical`: the ranker's index, read only to fit a budget.
 * Entries a pack did not use are dropped when it saves.
 */
export class FileCache {
  private readonly used = new Map<string, CachedFile>();
  private readonly counts = new Map<string, number>();
  private readonly loadedCounts: Map<string, number>;
  /** Something of the index file (counts, graph) changed; `entriesChanged`: an entry changed. */
  private changed = false;
  private entriesChanged = false;
  private blocks: BlockStore | undefined;
  private reused = 0;
  private lexical: { digest: string; index: Uint8Array } | undefined;
  /** See `problem`. */
  private failure: string | undefined;
  /** Entries as loaded (a plain object, not copied into a Map), read on first need. */
  private loaded: Record<string, CachedFile> | undefined;
  /** Signatures views read from the snapshot, by row (fitting asks for a file's more than once). */
  private views: (StoredView | null | undefined | typeof NOT_READ)[] | undefined;
  /** The block key of the snapshot's signatures views. */
  private viewKey: string | undefined;
  /** `lastPack()`, made on first call. */
  private last: LastPack | undefined;
  /** Files this pack knows from the snapshot alone: content key → snapshot row. */
  private readonly viaSnapshot = new Map<string, number>();

  private constructor(
    private readonly file: string | undefined,
    private readonly entriesId: string | undefined,
    loadedCounts: Record<string, number> = {},
    private readonly snapshot: Snapshot | undefined = undefined,
    private readonly render = '',
    private graph: IndexHeader['graph'] = undefined,
  ) {
    this.loadedCounts = new Map(Object.entries(loadedCounts));
    if (!file) this.loaded = {};
  }

  /**
   * Opens the cache of `root` under `dir`; `dir` undefined gives a cache that never touches the disk.
   * `render` names the rendering settings: stored blocks are reused only under the same ones. `reading`: how the
   * block store is read (see BlockReading). Call `close` when done.
   */
  static async open(dir: string | undefined, root: string, render: string, reading: BlockReading = 'whole'): Promise<FileCache> {
    if (!dir) return new FileCache(undefined, undefined);
    const file = join(dir, 'repos', createHash('sha1').update(root).digest('hex').slice(0, 20) + '.index');
    try {
      const data = await readFile(file);
      const { label: header, offset } = readLabel<IndexHeader>(data);
      if (header.version === CACHE_VERSION) {
        const snapshot = header.snapshot && Snapshot.read(header.snapshot, data, offset);
        const cache = new FileCache(file, header.entriesId, header.counts, snapshot, render, header.graph);
        if (snapshot) {
          // The cache opens while git lists the files (babel: ~0.2 s with the main thread idle): do now what the
          // first lookup would do then.
          snapshot.row('');
          const whole = reading === 'whole' || (reading === 'prompt' && !(snapshot.meta.prompt && COPY_FROM_DESCRIPTOR));
          if (snapshot.meta.render === render) cache.blocks = BlockStore.open(cache.blocksFile, whole);
        }
        return cache;
      }
    } catch {
      // no cache yet, or a damaged one: start empty
    }
    return new FileCache(file, undefined, {}, undefined, render);
  }

  private get blocksFile(): string {
    return this.file!.replace(/\.index$/, '.blocks');
  }

  private get entriesFile(): string {
    return this.file!.replace(/\.index$/, '.entries.json');
  }

  /** The entries of the last save, read now if not yet. */
  private entries(): Record<string, CachedFile> {
    if (this.loaded) return this.loaded;
    this.loaded = {};
    if (this.entriesId === undefined) return this.loaded;
    try {
      const parsed = JSON.parse(readFileSync(this.entriesFile, 'utf8')) as EntriesFileShape;
      if (parsed.version === CACHE_VERSION && parsed.entriesId === this.entriesId) this.loaded = parsed.entries;
    } catch {
      // none, or damaged: every file not known from the snapshot is analysed again
    }
    return this.loaded;
  }

  /**
   * A lookup for discovery when there is a snapshot to reuse, else undefined (then files are read as usual).
   * Looking changes nothing: `keep` records an answer discovery uses.
   */
  get peek(): ((path: string, stamp: FileStamp) => KnownFile | undefined) | undefined {
    const snapshot = this.snapshot;
    if (!snapshot) return undefined;
    const sameRender = snapshot.meta.render === this.render;
    return (path, stamp) => {
      const row = snapshot.row(path);
      if (row === undefined || !snapshot.sameVersion(row, stamp)) return undefined;
      // The block store was read when the cache opened (under the same rendering only), unless it is read block by block.
      return snapshot.known(row, sameRender ? this.blocks?.whole : undefined);
    };
  }

  /** Records that discovery uses what `peek` said of a file: the file is then known from the snapshot. */
  keep(known: KnownFile): void {
    this.reused++;
    if ('key' in known) this.viaSnapshot.set(known.key, known.ref);
  }

  /**
   * What the snapshot says of a file this pack found unchanged: its language and the tokens of its block
   * under `blockKey`, if the snapshot counted them. Answering from here keeps the entries file unread.
   */
  known(key: string, blockKey: string): { language: LanguageId; tokens: number } | undefined {
    const row = this.viaSnapshot.get(key);
    if (row === undefined || this.snapshot!.meta.tokensKey !== blockKey) return undefined;
    const tokens = this.snapshot!.tokens(row);
    return tokens === undefined ? undefined : { language: this.snapshot!.language(row), tokens };
  }

  /**
   * The entry of a content key. For a file known from the snapshot whose entry is missing (a lost entries
   * file) it is made from the snapshot, without imports: whoever needs those extracts them again.
   */
  get(key: string): CachedFile | undefined {
    let entry = this.used.get(key);
    if (entry) return entry;
    const loaded = this.entries();
    entry = Object.hasOwn(loaded, key) ? loaded[key] : this.fromSnapshot(key);
    if (entry) this.used.set(key, entry);
    return entry;
  }

  private fromSnapshot(key: string): CachedFile | undefined {
    const row = this.viaSnapshot.get(key);
    if (row === undefined) return undefined;
    const snapshot = this.snapshot!;
    const tokens = snapshot.tokens(row);
    return { language: snapshot.language(row), tokens: tokens === undefined ? {} : { [snapshot.meta.tokensKey]: tokens } };
  }

  /**
   * The signatures view of a file known from the snapshot (`row`: `SourceFile.row`; flat elided lines and tokens
   * under `viewKey`), null when it has none, undefined when the snapshot cannot say (then ask the entry `key`).
   */
  knownView(row: number | undefined, key: string, viewKey: string): { readonly elided: readonly number[]; tokens: number } | null | undefined {
    if (row === undefined || viewKey !== (this.viewKey ??= signaturesKey(this.snapshot!.meta.tokensKey))) return undefined;
    if (this.used.size > 0 && this.used.has(key)) return undefined; // analysed again in this pack: the entry says
    const views = (this.views ??= new Array<StoredView | null | undefined | typeof NOT_READ>(this.snapshot!.meta.rows).fill(NOT_READ));
    const known = views[row];
    if (known !== NOT_READ) return known;
    const text = this.snapshot!.view(row);
    const bar = text.indexOf('|');
    const tokens = Number(text.slice(0, bar));
    const view = bar < 0 ? undefined : bar === text.length - 1 ? null : tokens < 0 ? undefined : new StoredView(text, bar, tokens);
    views[row] = view;
    return view;
  }

  /**
   * The view to write for a packed file: from its entry when this pack used it, else as the snapshot had it.
   * `viewKey` is `signaturesKey(tokensKey)`.
   */
  private viewToSave(key: string, tokensKey: string, viewKey: string): string {
    const entry = this.used.get(key);
    if (entry) return viewText(entry.elisions, entry.tokens[viewKey]);
    const row = this.viaSnapshot.get(key);
    return row !== undefined && this.snapshot!.meta.tokensKey === tokensKey ? this.snapshot!.view(row) : '';
  }

  set(key: string, entry: CachedFile): void {
    this.used.set(key, entry);
    this.entriesChanged = true;
  }

  /** Records that an entry gained a field (elisions, another token count), so the cache is written again. */
  touched(): void {
    this.entriesChanged = true;
  }

  /**
   * The files the last pack packed (paths and content keys, in its order), their digest (as the caller computed it
   * for `storeEdges`: the graph and the snapshot are saved together) and the tokens of their full blocks under
   * the snapshot's settings; undefined without a snapshot. A pack that finds the same files needs no new digest, and
   * may work ahead on them while git lists the files.
   */
  lastPack(): LastPack | undefined {
    const snapshot = this.snapshot;
    if (!snapshot || !this.graph) return undefined;
    if (this.last) return this.last;
    const paths: string[] = [];
    const keys: string[] = [];
    let tokens = 0;
    for (let row = 0; row < snapshot.meta.rows; row++) {
      const key = snapshot.packedKey(row);
      if (key === undefined) continue;
      paths.push(snapshot.paths[row]!);
      keys.push(key);
      tokens += snapshot.tokens(row) ?? 0;
    }
    return (this.last = { paths, keys, digest: this.graph.digest, tokens, tokensKey: snapshot.meta.tokensKey });
  }

  /** The import graph's edges (see IndexHeader), if the last pack saw exactly the same files (same `digest`). */
  cachedEdges(digest: string): [number, readonly number[]][] | undefined {
    return this.graph?.digest === digest ? this.graph.edges : undefined;
  }

  storeEdges(digest: string, edges: [number, readonly number[]][]): void {
    if (this.graph?.digest === digest) return;
    this.graph = { digest, edges };
    this.changed = true;
  }

  /** The dependency order of the files `digest` names (file indices and cycles), if a pack stored it. */
  cachedOrder(digest: string): { order: number[]; cycles: number[][] } | undefined {
    return this.graph?.digest === digest ? this.graph.order : undefined;
  }

  /** Keeps the dependency order with the graph it was computed from (call after `storeEdges`). */
  storeOrder(digest: string, order: { order: number[]; cycles: number[][] }): void {
    if (this.graph?.digest !== digest || this.graph.order) return;
    this.graph.order = { order: order.order, cycles: order.cycles };
    this.changed = true;
  }

  /** The rendered block of snapshot row `row` (see `SourceFile.row`) in the block store; undefined if it lacks it. */
  storedBlock(row: number): Buffer | undefined {
    return this.blocks?.slice(...this.snapshot!.blockRange(row));
  }

  /**
   * The block store as a file to copy, when it is byte for byte the prompt `layout` names (saved by the last whole
   * pack under these settings) and is still open block by block (see BlockReading 'prompt'): on Linux, a path to
   * the open descriptor, so that a pack saving meanwhile cannot swap the file. Valid until `close`.
   */
  storedPrompt(layout: PromptLayout): { path: string; size: number } | undefined {
    const prompt = this.snapshot?.meta.prompt;
    const fd = this.blocks?.descriptor;
    if (!COPY_FROM_DESCRIPTOR || fd === undefined || prompt?.id !== layout.id || this.blocks!.size !== prompt.size) return undefined;
    return { path: `/proc/self/fd/${fd}`, size: prompt.size };
  }

  /** Reads the rest of the block store in one call, before asking `storedBlock` for many blocks. */
  loadBlocks(): void {
    this.blocks?.load();
  }

  /** Lets go of the block store (blocks read from it stay valid). */
  close(): void {
    this.blocks?.close();
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
          const { label, offset } = readLabel<{ version: number; digest: string }>(stored);
          return label.version === CACHE_VERSION && label.digest === digest ? stored.subarray(offset) : undefined;
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
    return this.file!.replace(/\.index$/, '.lexical');
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
   * Writes what this pack used, with a new snapshot of `files` (each with its key, language, rendered block and
   * that block's tokens under `tokensKey`) and of content-based skips; skipped when everything came from the
   * snapshot and nothing else changed. Returns the blocks as stored, so the prompt can be written from them
   * without rendering again.
   */
  async save<F extends SourceFile & { key: string; language: LanguageId; tokens?: number }>(
    files: readonly F[], skipped: readonly SkippedFile[], tokensKey: string, renderBlock: (file: F) => Buffer, prompt?: PromptLayout,
  ): Promise<(Buffer | undefined)[]> {
    if (!this.file) return files.map((f) => f.block);
    if (prompt && prompt.order.length !== files.length) prompt = undefined; // not a whole pack's prompt
    if (this.lexical) {
      const { index } = this.lexical;
      const label = labelBytes({ version: CACHE_VERSION, digest: this.lexical.digest });
      await this.write([{ path: this.lexicalFile, data: [...label, Buffer.from(index.buffer, index.byteOffset, index.byteLength)] }]);
      this.lexical = undefined;
    }
    // Entries are the same when none changed and the files of this pack used exactly the loaded ones (or, not
    // loaded at all, every file was known from the snapshot).
    const usedKeys = new Set([...this.used.keys(), ...this.viaSnapshot.keys()]);
    const sameEntries = !this.entriesChanged && this.entriesId !== undefined
      && (this.loaded === undefined || usedKeys.size === Object.keys(this.loaded).length);
    const known = skipped.filter((s) => s.stamp).length + files.length;
    const stored = (file: F): boolean => file.row !== undefined && this.blocks !== undefined && this.blocks.size >= this.snapshot!.blockRange(file.row)[1];
    const sameSnapshot = this.reused === known && known === (this.snapshot?.paths.length ?? -1)
      && this.snapshot?.meta.tokensKey === tokensKey && files.every((f) => f.block !== undefined || stored(f))
      && (prompt === undefined || this.snapshot.meta.prompt?.id === prompt.id);
    if (sameEntries && sameSnapshot && !this.changed) return files.map((f) => f.block);
    const writer = new SnapshotWriter();
    const viewKey = signaturesKey(tokensKey);
    this.loadBlocks(); // a new snapshot holds every block
    const blocks = files.map((file) => file.block ?? (stored(file) ? this.storedBlock(file.row!) : undefined) ?? renderBlock(file));
    // The store: the blocks in path order, or the whole prompt (the blocks in prompt order between its header and footer).
    const head = Buffer.from(prompt?.header ?? '', 'utf8');
    const foot = Buffer.from(prompt?.footer ?? '', 'utf8');
    const order = prompt?.order ?? files.map((_, i) => i);
    const offsets: number[] = [];
    let size = head.length;
    for (const i of order) {
      offsets[i] = size;
      size += blocks[i]!.length;
    }
    size += foot.length;
    const store = prompt ? [head, ...order.map((i) => blocks[i]!), foot] : blocks;
    files.forEach((file, i) => {
      writer.add(file.path, file.stamp, {
        key: file.key, language: file.language, lines: file.lines, bytes: file.bytes, offset: offsets[i]!, length: blocks[i]!.length, tokens: file.tokens,
        view: this.viewToSave(file.key, tokensKey, viewKey),
      });
    });
    for (const skip of skipped) if (skip.stamp) writer.add(skip.path, skip.stamp, { reason: skip.reason });
    const outputs: { path: string; data: string | Buffer[] }[] = [{ path: this.blocksFile, data: store }];
    let entriesId = this.entriesId;
    if (!sameEntries) {
      entriesId = randomBytes(6).toString('base64url');
      const loaded = this.entries();
      const entries: Record<string, CachedFile> = {};
      for (const key of usedKeys) {
        const entry = this.used.get(key) ?? (Object.hasOwn(loaded, key) ? loaded[key] : undefined);
        if (entry) entries[key] = entry;
      }
      const shape: EntriesFileShape = { version: CACHE_VERSION, entriesId, entries };
      outputs.push({ path: this.entriesFile, data: JSON.stringify(shape) });
    }
    const snapshot = writer.finish(Date.now(), this.render, tokensKey, prompt && { id: prompt.id, size });
    const header: IndexHeader = { version: CACHE_VERSION, entriesId: entriesId!, counts: this.keptCounts(), snapshot: snapshot.meta, graph: this.graph };
    outputs.push({ path: this.file, data: [...labelBytes(header), ...snapshot.data] }); // last: it names its entries file
    if (await this.write(outputs)) {
      // The single JSON file of earlier versions.
      await Promise.all(['.json', '.lexical.json'].map((old) => rm(this.file!.replace(/\.index$/, old), { force: true }).catch(() => undefined)));
    }
    return blocks;
  }

  /**
   * Why the cache could not be written, if it could not: the pack itself is complete (the cache only saves time),
   * but the next one starts without it.
   */
  get problem(): string | undefined {
    return this.failure;
  }

  /** Writes cache files atomically; a failure (no permission, a full disk) is kept as `problem`, not thrown. */
  private async write(outputs: { path: string; data: string | Buffer[] }[]): Promise<boolean> {
    const dir = join(this.file!, '..');
    try {
      await mkdir(dir, { recursive: true });
      await writeOutputs(outputs);
      return true;
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      this.failure ??= `cannot write the cache in ${join(dir, '..')} (${code ?? message}): this pack is complete, but the next ` +
        'one starts without a cache; make that directory writable, set LONGREPO_CACHE_DIR to another one, or turn the cache off (--no-cache)';
      return false;
    }
  }
}

/**
 * The block store (tens of MB). Read whole, in one call: the promise API reads it chunk by chunk, which in
 * alternating warm packs took 0.90 s of babel against 0.74 s, and 0.45 s of django against 0.36 s (it runs after the
 * index's read has let git start, while git still lists the files). Or block by block, from a descriptor opened with
 * the cache: a pack saving meanwhile replaces the file, and the descriptor still reads the one whose offsets the
 * snapshot gives. A missing or unreadable store holds nothing (every block is then rendered again).
 */
class BlockStore {
  private constructor(private data: Buffer | undefined, private fd: number | undefined, readonly size: number) {}

  static open(path: string, whole: boolean): BlockStore {
    let fd: number | undefined;
    try {
      if (whole) {
        const data = readFileSync(path);
        return new BlockStore(data, undefined, data.length);
      }
      fd = openSync(path, 'r');
      return new BlockStore(undefined, fd, fstatSync(fd).size);
    } catch {
      if (fd !== undefined) closeSync(fd);
      return new BlockStore(Buffer.alloc(0), undefined, 0);
    }
  }

  /** The open descriptor of a store read block by block. */
  get descriptor(): number | undefined {
    return this.fd;
  }

  /** The whole store, if it is in memory. */
  get whole(): Buffer | undefined {
    return this.data;
  }

  /** Bytes [start, end); undefined if the store is shorter, or closed before they were read. */
  slice(start: number, end: number): Buffer | undefined {
    if (this.data) return end <= this.data.length ? this.data.subarray(start, end) : undefined;
    if (end > this.size) return undefined;
    return this.fd === undefined ? undefined : readAt(this.fd, start, end - start);
  }

  /** Reads the whole store now (one read instead of one per block). */
  load(): void {
    if (this.data || this.fd === undefined) return;
    this.data = readAt(this.fd, 0, this.size) ?? Buffer.alloc(0);
    this.close();
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** `length` bytes of `fd` from `position`; undefined if the file ends before or cannot be read (then render again). */
function readAt(fd: number, position: number, length: number): Buffer | undefined {
  const buffer = Buffer.allocUnsafe(length);
  try {
    for (let done = 0; done < length;) {
      const read = readSync(fd, buffer, done, length - done, position + done);
      if (read === 0) return undefined;
      done += read;
    }
  } catch {
    return undefined;
  }
  return buffer;
}
