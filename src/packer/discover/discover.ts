import { execFile } from 'node:child_process';
import { constants as bufferConstants, isUtf8 } from 'node:buffer';
import { closeSync, existsSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, type Dirent } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import ignore, { type Ignore } from 'ignore';
import { UsageError, throwIfCancelled } from '../errors.js';
import { defaultExclusion, isExcludedDirectoryName, looksMinified } from './exclusions.js';

const execFileAsync = promisify(execFile);

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
const IGNORE_FILES_OUTSIDE_GIT = ['.gitignore', '.ignore', '.longrepoignore'];

/** What identifies a file's version without reading it: its stat fields, or git's blob id when git vouches for it. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  blob?: string;
}

/** What an earlier pack learnt of a file whose stamp is unchanged (`ref`: where the cache found it, for `keep`). */
export type KnownFile =
  | { key: string; lines: number; bytes: number; /** The rendered block, when the earlier pack used the same rendering. */ block?: Buffer; ref: number }
  | { reason: string; ref: number };

/** A file that goes into the prompt: its text with line endings normalised to `\n`. */
export interface SourceFile {
  path: string;
  text: string;
  bytes: number;
  lines: number;
  stamp: FileStamp;
  /** The cache key, when the file is known from an earlier pack (then `text` is read from disk only if asked for). */
  key?: string;
  /** The rendered block from an earlier pack with the same rendering (a fitted pack reads it by `row` when shown). */
  block?: Buffer;
  /** The file's row in the cache's snapshot, when it is known from there (see `FileCache.storedBlock`). */
  row?: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
  /** Set when the reason came from reading the content (binary, empty, …), so a later pack can trust it while the stamp holds. */
  stamp?: FileStamp;
}

export interface Discovery {
  /** Absolute path of the packed directory. */
  root: string;
  /** The directory's name, used as the repository's name in the prompt. */
  name: string;
  /** Short HEAD commit when the directory is inside a git work tree. */
  revision?: string;
  git: boolean;
  files: SourceFile[];
  skipped: SkippedFile[];
  /** Every listed path (packed or skipped), so resolvers can read config files that were not packed. */
  listed: ReadonlySet<string>;
}

export interface DiscoverOptions {
  maxFileBytes?: number;
  /** Apply the default exclusions (lock files, build output, vendored, minified, binary). */
  defaultExcludes?: boolean;
  /** Absolute paths never packed: this command's own outputs (a prompt written into the repository must not pack itself next time). */
  outputs?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (scanned: number, total: number) => void;
  /** Hooks for the reading phase, awaited after listing (so a cache can load while git lists the files). */
  hooks?: Promise<ReadHooks> | ReadHooks;
}

export interface ReadHooks {
  /** Called with each packed file as soon as it is read, in path order (analysis starts while reading goes on). */
  onFile?: (file: SourceFile) => void;
  /**
   * What an earlier pack knew of unchanged files: a hit saves opening and reading the file. Looking changes
   * nothing; discovery calls `keep` with each answer it uses (it may look ahead, before git says what changed).
   */
  peek?: (path: string, stamp: FileStamp) => KnownFile | undefined;
  keep?: (known: KnownFile) => void;
  /** Awaited between slices of reading: lets analysis catch up, so read texts do not pile up in memory. */
  drain?: () => Promise<void>;
}

/** Finds the files of `root` that belong in the prompt, and says why every other listed file does not. */
export async function discoverFiles(root: string, options: DiscoverOptions = {}): Promise<Discovery> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  // git lists the files while the directory is checked and git is asked whether this is a work tree at all (a warm
  // pack waits for `git status` more than for anything else); outside a work tree, or for a directory that is not
  // one, the listing fails and is not used.
  const listing = gitListing(root);
  const absRoot = await checkDirectory(root);
  const gitInfo = await gitWorkTree(absRoot);
  let kinds: Map<string, EntryKind>;
  let ahead = new Map<string, Answer>();
  if (gitInfo) {
    kinds = trackedFiles((await listing.tracked).stdout);
    // `git status` takes longest (it looks at every file of the work tree): meanwhile the files of the index are
    // looked up in the cache by their blob ids, and the answers kept for the files status then finds unchanged.
    ahead = await answersAhead(absRoot, kinds, options, listing.status);
    withStatus(kinds, (await listing.status).stdout, gitInfo.prefix);
  } else {
    kinds = await walkTree(absRoot, options.signal);
  }
  throwIfCancelled(options.signal);
  let listed = [...kinds.keys()].sort(compareBytes);
  const skipped: SkippedFile[] = [];
  if (gitInfo) listed = applyLongrepoIgnore(listed, await readIgnoreFiles(absRoot, listed, ['.longrepoignore']), skipped);

  const outputs = new Set((options.outputs ?? []).map((abs) => relative(absRoot, abs).split(sep).join('/')));
  const candidates: string[] = [];
  for (const path of listed) {
    const answer = ahead.get(path);
    const reason = outputs.has(path) ? 'output of this command'
      : options.defaultExcludes === false ? undefined : answer ? answer.exclusion : defaultExclusion(path);
    if (reason) skipped.push({ path, reason });
    else candidates.push(path);
  }

  const hooks = (await options.hooks) ?? {};
  // Synchronous reads are several times faster than promise-based ones for many small files;
  // slices of 256 files keep the event loop (and cancellation) responsive in between.
  const files: SourceFile[] = [];
  for (let i = 0; i < candidates.length; i++) {
    if (i % 256 === 0) {
      await hooks.drain?.();
      await yieldToEventLoop(options.signal);
      options.onProgress?.(i, candidates.length);
    }
    const path = candidates[i]!;
    const kind = kinds.get(path) ?? 'unknown';
    const answer = typeof kind === 'object' ? ahead.get(path) : undefined; // a changed file is 'unknown' now
    let result: ReadResult;
    if (answer?.known) {
      hooks.keep?.(answer.known);
      result = answer.result!;
    } else {
      result = readCandidate(absRoot, path, kind, maxFileBytes, options.defaultExcludes !== false, hooks);
    }
    if ('reason' in result) {
      skipped.push(result);
    } else {
      files.push(result);
      hooks.onFile?.(result);
    }
  }
  options.onProgress?.(candidates.length, candidates.length);
  skipped.sort((a, b) => compareBytes(a.path, b.path));
  return {
    root: absRoot, name: basename(absRoot), git: gitInfo !== undefined, revision: gitInfo?.revision,
    files, skipped, listed: new Set(listed),
  };
}

/** Byte-order comparison, so the order never depends on the locale. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function checkDirectory(root: string): Promise<string> {
  let info;
  try {
    info = await stat(root);
  } catch {
    throw new UsageError(`${root} does not exist: pass the directory of a repository (default: the current directory)`);
  }
  if (!info.isDirectory()) {
    throw new UsageError(`${root} is a file, not a directory: pass the repository's directory, e.g. longrepo pack ${join(root, '..')}`);
  }
  return realpath(root);
}

/**
 * Whether `root` is inside a git work tree; if so, where it sits in it (`prefix`: `src/` when `root` is the
 * work tree's `src` folder, '' at its top) and the commit checked out.
 */
async function gitWorkTree(root: string): Promise<{ revision?: string; prefix: string } | undefined> {
  const ask = async (args: string[]): Promise<string[] | undefined> => {
    try {
      const { stdout } = await execFileAsync('git', ['rev-parse', '--is-inside-work-tree', '--show-prefix', ...args], { cwd: root });
      return stdout.split('\n');
    } catch {
      return undefined;
    }
  };
  // One question usually settles it all; it fails in a repository without commits, which has no HEAD to name.
  const lines = await ask(['--short=7', 'HEAD']) ?? await ask([]);
  if (lines?.[0] !== 'true') return undefined; // not a work tree, or no git on this machine: walk the tree instead
  const revision = lines[2]?.trim();
  return { prefix: (lines[1] ?? '').trim(), ...(revision ? { revision } : {}) };
}

/**
 * What the listing already knows of an entry, so most files need no extra stat: its kind, and for a
 * git-tracked file whose work-tree content equals the index, the blob id (the content's identity).
 */
type EntryKind = 'file' | 'symlink' | 'submodule' | 'unknown' | { blob: string };

/** What git says of the files under `root`: the index (`ls-files`) and how the work tree differs (`status`). */
function gitListing(root: string): { tracked: Promise<{ stdout: string }>; status: Promise<{ stdout: string }> } {
  const options = { cwd: root, maxBuffer: bufferConstants.MAX_LENGTH, encoding: 'utf8' as const };
  // A root that is not a directory can make the spawn throw at once (ENOTDIR): that is a failed listing too.
  const run = async (args: string[]): Promise<{ stdout: string }> => execFileAsync('git', args, options);
  const tracked = run(['ls-files', '-z', '--stage']);
  // Limited to `root` by a pathspec, unless `root` is the top of its work tree (it holds `.git`): matching the
  // pathspec took ~20 of the 75 ms that status takes on django.
  const top = existsSync(join(root, '.git'));
  const status = run(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--ignore-submodules=all', ...(top ? [] : ['--', '.'])]);
  // Outside a work tree both fail, and nothing waits for them.
  tracked.catch(() => undefined);
  status.catch(() => undefined);
  return { tracked, status };
}

/**
 * A listed file looked at before git status answered: its default exclusion, what the cache knew of its blob, and
 * the file (or the reason it is skipped) made from that.
 */
interface Answer {
  exclusion: string | undefined;
  known?: KnownFile;
  result?: ReadResult;
}

/**
 * Looks up the index's files in the cache by their blob ids (and finds their default exclusions) while `status`
 * runs, a few hundred files at a time, until it answers. Nothing here is used for a file status reports changed.
 */
async function answersAhead(root: string, kinds: ReadonlyMap<string, EntryKind>, options: DiscoverOptions, status: Promise<unknown>): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>();
  let answered = false;
  status.then(() => (answered = true), () => (answered = true));
  const hooks = (await options.hooks) ?? {};
  if (!hooks.peek || answered) return answers;
  let looked = 0;
  for (const [path, kind] of kinds) {
    if (typeof kind !== 'object') continue;
    if (++looked % 256 === 0) {
      await yieldToEventLoop(options.signal);
      if (answered) break;
    }
    const stamp = blobStamp(kind);
    const known = hooks.peek(path, stamp);
    answers.set(path, { exclusion: defaultExclusion(path), known, result: known && knownResult(root, path, known, stamp) });
  }
  return answers;
}

/** The stamp of a file git vouches for: its blob id says everything. */
function blobStamp(kind: { blob: string }): FileStamp {
  return { size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0, blob: kind.blob };
}

/** The index's files under `root` (`ls-files --stage`), relative to it, with their modes and blob ids. */
function trackedFiles(lsFiles: string): Map<string, EntryKind> {
  const kinds = new Map<string, EntryKind>();
  // Records are `<mode> <blob> <stage>\t<path>`, NUL-terminated; read in place (a split per record made three
  // strings and an array for each of tens of thousands of files).
  for (let start = 0; start < lsFiles.length;) {
    let end = lsFiles.indexOf('\0', start);
    if (end < 0) end = lsFiles.length;
    const tab = lsFiles.indexOf('\t', start);
    if (tab >= 0 && tab < end) {
      const path = lsFiles.slice(tab + 1, end);
      const afterMode = lsFiles.indexOf(' ', start);
      const afterBlob = lsFiles.indexOf(' ', afterMode + 1);
      const mode = lsFiles.slice(start, afterMode);
      const stage = afterBlob > 0 && afterBlob < tab ? lsFiles.slice(afterBlob + 1, tab) : '';
      if (mode === '120000') kinds.set(path, 'symlink');
      else if (mode === '160000') kinds.set(path, 'submodule');
      else if (stage !== '0' || afterBlob <= afterMode + 1) kinds.set(path, 'unknown');
      else kinds.set(path, { blob: lsFiles.slice(afterMode + 1, afterBlob) });
    }
    start = end + 1;
  }
  return kinds;
}

/**
 * Adds what `git status` says to the index's files: a file that differs from the index is read like an
 * untracked one (its blob id does not describe the work tree), and untracked files not ignored are added.
 */
function withStatus(kinds: Map<string, EntryKind>, status: string, base: string): void {
  // status prints paths from the top of the work tree (`base` is where `root` sits in it), ls-files from `root`
  for (const record of status.split('\0')) {
    if (record.length < 4) continue;
    if (!record.startsWith(base, 3)) continue; // outside `root` (status without a pathspec in an odd layout)
    const path = record.slice(3 + base.length);
    if (record.startsWith('??')) kinds.set(path, 'unknown');
    else if ((record[1] !== ' ' || record[0] === 'U') && typeof kinds.get(path) === 'object') kinds.set(path, 'unknown');
  }
}

/** Walks a tree outside git, honouring nested .gitignore, .ignore and .longrepoignore files. */
async function walkTree(root: string, signal: AbortSignal | undefined): Promise<Map<string, EntryKind>> {
  const out = new Map<string, EntryKind>();
  const pending: { dir: string; rules: { base: string; ig: Ignore }[] }[] = [{ dir: '', rules: [] }];
  let visited = 0;
  while (pending.length > 0) {
    const { dir, rules } = pending.pop()!;
    if (++visited % 200 === 0) await yieldToEventLoop(signal);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir ? join(root, dir) : root, { withFileTypes: true });
    } catch {
      continue; // an unreadable directory lists nothing; its files cannot be packed anyway
    }
    const local = ignore();
    let hasLocal = false;
    for (const entry of entries) {
      if (!IGNORE_FILES_OUTSIDE_GIT.includes(entry.name) || entry.isDirectory()) continue;
      try {
        local.add(readFileSync(join(root, dir, entry.name), 'utf8'));
        hasLocal = true;
      } catch {
        // an unreadable ignore file ignores nothing
      }
    }
    const active = hasLocal ? [...rules, { base: dir, ig: local }] : rules;
    // As in git, the deepest ignore file with a matching rule decides, so a nested `!pattern` re-includes.
    const ignored = (path: string, isDir: boolean): boolean => {
      for (let i = active.length - 1; i >= 0; i--) {
        const { base, ig } = active[i]!;
        const verdict = ig.test((base ? path.slice(base.length + 1) : path) + (isDir ? '/' : ''));
        if (verdict.ignored) return true;
        if (verdict.unignored) return false;
      }
      return false;
    };
    const subdirs: string[] = [];
    for (const entry of entries) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name === '.git' || isExcludedDirectoryName(entry.name) || ignored(path, true)) continue;
        subdirs.push(path);
      } else if (!ignored(path, false)) {
        out.set(path, entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'symlink' : 'unknown');
      }
    }
    for (let i = subdirs.length - 1; i >= 0; i--) pending.push({ dir: subdirs[i]!, rules: active });
  }
  return out;
}

/** Lets other work (a Cancel, a UI update) run between slices of synchronous file-system work. */
async function yieldToEventLoop(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfCancelled(signal);
}

async function readIgnoreFiles(root: string, listed: string[], names: string[]): Promise<Map<string, Ignore>> {
  const byDir = new Map<string, Ignore>();
  for (const path of listed) {
    const slash = path.lastIndexOf('/');
    if (!names.includes(path.slice(slash + 1))) continue;
    try {
      const dir = slash < 0 ? '' : path.slice(0, slash);
      const ig = byDir.get(dir) ?? ignore();
      ig.add(readFileSync(join(root, path), 'utf8'));
      byDir.set(dir, ig);
    } catch {
      // unreadable ignore file: nothing to apply
    }
  }
  return byDir;
}

function applyLongrepoIgnore(listed: string[], byDir: Map<string, Ignore>, skipped: SkippedFile[]): string[] {
  if (byDir.size === 0) return listed;
  return listed.filter((path) => {
    for (const [dir, ig] of byDir) {
      if (dir && !path.startsWith(dir + '/')) continue;
      if (ig.ignores(dir ? path.slice(dir.length + 1) : path)) {
        skipped.push({ path, reason: `ignored by ${dir ? dir + '/' : ''}.longrepoignore` });
        return false;
      }
    }
    return true;
  });
}

type ReadResult = SourceFile | SkippedFile;

let sharedReadBuffer = Buffer.allocUnsafe(256 * 1024);

function readCandidate(
  root: string, path: string, kind: EntryKind, maxFileBytes: number, defaultExcludes: boolean,
  hooks: Pick<ReadHooks, 'peek' | 'keep'>,
): ReadResult {
  if (kind === 'submodule') return { path, reason: 'git submodule (pack it on its own)' };
  const blob = typeof kind === 'object' ? kind.blob : undefined;
  const reuse = hooks.peek !== undefined;
  if (blob && reuse) {
    // git vouches that the work tree holds this blob: no need to stat or read the file.
    const known = reused(root, path, blobStamp({ blob }), hooks);
    if (known) return known;
  }
  const abs = join(root, path); // not before: a warm pack finds most files known by their git blob alone
  if (kind === 'unknown' || (reuse && !blob)) {
    let info;
    try {
      info = lstatSync(abs);
    } catch (error) {
      return { path, reason: readFailure(error) };
    }
    kind = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'submodule' : info.isFile() ? 'file' : 'unknown';
    if (kind === 'submodule') return { path, reason: 'git submodule (pack it on its own)' };
    if (kind === 'unknown') return { path, reason: 'not a regular file' };
    if (kind === 'file' && reuse && info.size <= maxFileBytes) {
      const known = reused(root, path, stampOf(info), hooks);
      if (known) return known;
    }
  }
  if (kind === 'symlink') return { path, reason: describeSymlink(root, abs) };
  let buffer: Buffer;
  let stamp: FileStamp;
  let fd: number | undefined;
  try {
    fd = openSync(abs, 'r');
    const info = fstatSync(fd);
    if (!info.isFile()) return { path, reason: 'not a regular file' };
    if (info.size > maxFileBytes) {
      return { path, reason: `${formatBytes(info.size)} is over the ${formatBytes(maxFileBytes)} file limit (--max-file-bytes)` };
    }
    stamp = blob ? { size: info.size, mtimeMs: 0, ctimeMs: 0, ino: 0, blob } : stampOf(info);
    // One growing buffer serves every read: a buffer per file would churn the allocator on large trees.
    if (sharedReadBuffer.length < info.size) sharedReadBuffer = Buffer.allocUnsafe(Math.max(info.size, sharedReadBuffer.length * 2));
    buffer = sharedReadBuffer;
    let read = 0;
    while (read < info.size) {
      const n = readSync(fd, buffer, read, info.size - read, read);
      if (n === 0) break;
      read += n;
    }
    buffer = buffer.subarray(0, read);
  } catch (error) {
    return { path, reason: readFailure(error) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (buffer.length === 0) return { path, reason: 'empty', stamp };
  if (buffer.subarray(0, 8000).includes(0)) return { path, reason: 'binary', stamp };
  if (!isUtf8(buffer)) return { path, reason: 'not valid UTF-8', stamp };
  let text = buffer.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  if (text.trim().length === 0) return { path, reason: 'empty', stamp };
  const lines = countLines(text);
  if (defaultExcludes && looksMinified(path, text, lines)) return { path, reason: 'minified' }; // depends on settings: not reused
  return { path, text, bytes: buffer.length, lines, stamp };
}

/** What the cache knows of this version of the file, kept as used; undefined if it knows nothing. */
function reused(root: string, path: string, stamp: FileStamp, hooks: Pick<ReadHooks, 'peek' | 'keep'>): ReadResult | undefined {
  const known = hooks.peek?.(path, stamp);
  if (!known) return undefined;
  hooks.keep?.(known);
  return knownResult(root, path, known, stamp);
}

function knownResult(root: string, path: string, known: KnownFile, stamp: FileStamp): ReadResult {
  if ('reason' in known) return { path, reason: known.reason, stamp };
  return new KnownSource(root, path, known, stamp);
}

/**
 * A file an earlier pack knew in this version: its text is read from disk only if asked for. A class with the
 * getter on its prototype, not an object literal with its own: a warm pack makes one per file.
 */
class KnownSource implements SourceFile {
  bytes: number;
  lines: number;
  key: string;
  block: Buffer | undefined;
  row: number;

  constructor(private readonly root: string, readonly path: string, known: Exclude<KnownFile, { reason: string }>, readonly stamp: FileStamp) {
    this.bytes = known.bytes;
    this.lines = known.lines;
    this.key = known.key;
    this.block = known.block;
    this.row = known.ref;
  }

  get text(): string {
    return readFileText(join(this.root, this.path));
  }
}

/** A file's text as discovery gives it (BOM dropped, CRLF normalised), read again from disk; '' if unreadable. */
export function readFileText(abs: string): string {
  const fresh = readCandidate(dirname(abs), basename(abs), 'file', Infinity, false, {});
  return 'text' in fresh ? fresh.text : '';
}

function stampOf(info: { size: number; mtimeMs: number; ctimeMs: number; ino: number }): FileStamp {
  return { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'missing from the work tree' : `unreadable (${code ?? 'error'})`;
}

function describeSymlink(root: string, abs: string): string {
  let target: string;
  try {
    target = realpathSync(abs);
  } catch {
    return 'broken symlink';
  }
  const rel = relative(root, target);
  if (rel.startsWith('..') || rel === '' || rel.includes(':')) return 'symlink leads outside the repository';
  return `symlink to ${rel.split(sep).join('/')} (packed there if included)`;
}

/** Lines as an editor numbers them: a final newline does not start another line. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n - 1 : n;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`;
}
