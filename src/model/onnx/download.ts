import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { defaultCacheDir } from '../../packer/cache/cacheDir.js';
import { CancelledError, UsageError, throwIfCancelled } from '../../packer/errors.js';
import { withoutSecret } from '../errors.js';
import { requestFunction } from '../http.js';
import { belongsToDtype, MODEL_DTYPES, MODEL_METADATA_FILES, modelFileName, type ModelDtype } from './dtypes.js';

/**
 * Downloads a model folder (a Hugging Face ONNX export) from the hub into the user's cache: the revision is pinned
 * to its commit, the files are listed with the tree API, each is streamed to `<file>.part` (resumed with a Range
 * request), checked against the size and hash the hub lists, then renamed into place.
 */

export interface DownloadProgress {
  file: string;
  fileBytes: number;
  fileTotal: number;
  /** Bytes in place so far, counting files already there and resumed parts. */
  bytes: number;
  total: number;
}

export interface DownloadOptions {
  dtype: ModelDtype;
  /** Branch, tag or commit; default `main`. */
  revision?: string;
  /** The folder holding downloaded models; default `defaultModelsDir()`. */
  modelsDir?: string;
  /** Default `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string;
  /** Default `HF_TOKEN`; sent to the endpoint's host only, never shown. */
  token?: string;
  signal?: AbortSignal;
  /** Called at most every 100 ms while bytes arrive, and as each file starts and ends. */
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadResult {
  dir: string;
  /** The folder's files for the dtype, relative to `dir`. */
  files: string[];
  downloadedBytes: number;
  reusedBytes: number;
}

/** A download failed in a way the user can act on; the message is one line and never holds the token. */
export class DownloadError extends Error {
  override readonly name = 'DownloadError';
}

/** What a completed download leaves beside the files, so a later run (or `model list`) knows the folder is whole. */
export interface DownloadManifest {
  id: string;
  revision: string;
  /** The commit the files came from, when the hub named it. */
  commit?: string;
  /** The dtypes whose files are all in place. */
  dtypes: ModelDtype[];
  files: Record<string, ManifestEntry>;
  /** The files were copied in by hand (offline), so only their sizes were recorded, not checked. */
  byHand?: boolean;
}

interface ManifestEntry {
  size: number;
  sha256?: string;
  /** The git blob id the hub lists for a file kept in git rather than LFS. */
  gitOid?: string;
}

export const MANIFEST_FILE = '.longrepo-download.json';

export function defaultModelsDir(): string {
  return join(defaultCacheDir(), 'models');
}

/** `<modelsDir>/owner--name`; the hub forbids `--` in ids, so the folder name maps back to one id. */
export function modelDir(id: string, modelsDir: string = defaultModelsDir()): string {
  checkModelId(id);
  return join(modelsDir, id.replace('/', '--'));
}

/** Whether a download of `dtype` completed in `dir` and its files are still there at their sizes. */
export async function isModelComplete(dir: string, dtype: ModelDtype): Promise<boolean> {
  const manifest = await readManifest(dir);
  return manifest !== undefined && (await completeFiles(dir, manifest, dtype)) !== undefined;
}

/** The downloaded models in `modelsDir`: every folder with a manifest, with the dtypes still complete. */
export async function listDownloadedModels(modelsDir: string = defaultModelsDir()): Promise<{ id: string; dir: string; dtypes: ModelDtype[]; bytes: number }[]> {
  let names: string[];
  try {
    names = (await readdir(modelsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
  const models = [];
  for (const name of names) {
    const dir = join(modelsDir, name);
    const manifest = await readManifest(dir);
    if (!manifest) continue;
    const dtypes: ModelDtype[] = [];
    for (const dtype of manifest.dtypes) if (await completeFiles(dir, manifest, dtype)) dtypes.push(dtype);
    const bytes = Object.values(manifest.files).reduce((sum, f) => sum + f.size, 0);
    models.push({ id: manifest.id, dir, dtypes, bytes });
  }
  return models;
}

/** One file of the hub's listing, with the hashes the hub gives for it. */
interface HubFile {
  path: string;
  size: number;
  /** LFS files: the SHA-256 of the content. */
  sha256?: string;
  /** Files kept in git: the blob id, SHA-1 of `blob <size>\0<content>`. */
  gitOid?: string;
}

/** One download's settings, resolved. */
interface Hub {
  id: string;
  revision: string;
  dtype: ModelDtype;
  dir: string;
  /** The endpoint without a trailing slash, e.g. https://huggingface.co or https://mirror.example/hf. */
  base: string;
  origin: string;
  token?: string;
  signal?: AbortSignal;
}

export async function downloadModel(id: string, options: DownloadOptions): Promise<DownloadResult> {
  const dir = modelDir(id, options.modelsDir);
  if (!MODEL_DTYPES.includes(options.dtype)) throw new UsageError(`unknown dtype "${options.dtype}"; use one of ${MODEL_DTYPES.join(', ')}`);
  const revision = options.revision ?? 'main';
  if (!/^[\w.\-/]{1,256}$/.test(revision) || revision.split('/').includes('..')) {
    throw new UsageError(`"${revision}" is not a revision (a branch, tag or commit such as main, v1.0 or refs/pr/3)`);
  }
  const endpointUrl = parseEndpoint(options.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co');
  const hub: Hub = {
    id, revision, dtype: options.dtype, dir, base: endpointUrl.href.replace(/\/+$/, ''), origin: endpointUrl.origin,
    token: (options.token ?? process.env.HF_TOKEN)?.trim() || undefined, signal: options.signal,
  };
  throwIfCancelled(hub.signal);

  let commit: string | undefined;
  let listing: HubFile[];
  try {
    commit = await resolveCommit(hub);
    listing = await listFiles(hub, commit ?? revision);
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
    const local = await localModel(hub);
    if (local) return local;
    throw new DownloadError(offlineMessage(hub, error));
  }
  const files = selectFiles(hub, listing);

  const manifest: DownloadManifest = (await readManifest(dir)) ?? { id, revision, dtypes: [], files: {} };
  // The dtype counts as complete again only when this run ends.
  manifest.dtypes = manifest.dtypes.filter((d) => d !== hub.dtype);
  Object.assign(manifest, { id, revision, commit, byHand: undefined });
  const progress = new ProgressTracker(files.reduce((sum, f) => sum + f.size, 0), options.onProgress);
  let downloadedBytes = 0;
  let reusedBytes = 0;
  for (const [index, file] of files.entries()) {
    let fetched;
    try {
      fetched = await fetchFile(hub, file, commit ?? revision, manifest.files[file.path], progress);
    } catch (error) {
      if (error instanceof Unreachable) throw new DownloadError(offlineMessage(hub, error, files.slice(index)));
      throw error;
    }
    downloadedBytes += fetched.downloaded;
    reusedBytes += fetched.reused;
    manifest.files[file.path] = { size: file.size, sha256: file.sha256, gitOid: file.gitOid };
    await writeManifest(dir, manifest);
  }
  manifest.dtypes = [...manifest.dtypes, hub.dtype];
  await writeManifest(dir, manifest);
  return { dir, files: files.map((f) => f.path), downloadedBytes, reusedBytes };
}

// ---- the hub's API

/** The commit a branch or tag points at, so every file comes from one snapshot even if the branch moves meanwhile. */
async function resolveCommit(hub: Hub): Promise<string | undefined> {
  const response = await hubGet(hub, new URL(`${hub.base}/api/models/${hub.id}/revision/${encodeURIComponent(hub.revision)}`));
  if (response.status !== 200) throw await statusError(hub, response, 'its revision');
  const info = await readJson(hub, response, 'revision');
  const sha = (info as { sha?: unknown } | null)?.sha;
  return typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

/** `GET /api/models/ID/tree/REV?recursive=true`, following the `Link: <…>; rel="next"` pages. */
async function listFiles(hub: Hub, revision: string): Promise<HubFile[]> {
  const files: HubFile[] = [];
  let url: URL | undefined = new URL(`${hub.base}/api/models/${hub.id}/tree/${encodeURIComponent(revision)}?recursive=true`);
  for (let page = 0; url; page++) {
    if (page === 10_000) throw new DownloadError(`${hub.origin} listed more than 10,000 pages of files for ${hub.id}; stopping`);
    const response = await hubGet(hub, url);
    if (response.status !== 200) throw await statusError(hub, response, 'its file list');
    const entries = await readJson(hub, response, 'file list');
    if (!Array.isArray(entries)) throw new DownloadError(`${hub.origin} sent a file list for ${hub.id} that is not a JSON array; is HF_ENDPOINT a Hugging Face hub?`);
    for (const entry of entries as unknown[]) {
      const file = hubFileOf(entry);
      if (file) files.push(file);
    }
    const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(String(response.headers.link ?? ''))?.[1];
    url = next ? new URL(next, url) : undefined;
  }
  return files;
}

function hubFileOf(entry: unknown): HubFile | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const { type, path, size, oid, lfs } = entry as { type?: unknown; path?: unknown; size?: unknown; oid?: unknown; lfs?: unknown };
  if (type !== 'file' || typeof path !== 'string') return undefined;
  const lfsInfo = lfs && typeof lfs === 'object' ? (lfs as { oid?: unknown; size?: unknown }) : undefined;
  const bytes = typeof lfsInfo?.size === 'number' ? lfsInfo.size : size;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) return undefined;
  if (lfsInfo) {
    const sha = typeof lfsInfo.oid === 'string' ? lfsInfo.oid.replace(/^sha256:/, '').toLowerCase() : '';
    return { path, size: bytes, sha256: /^[0-9a-f]{64}$/.test(sha) ? sha : undefined };
  }
  return { path, size: bytes, gitOid: typeof oid === 'string' && /^[0-9a-f]{40}$/.test(oid) ? oid : undefined };
}

/** The metadata files the repository has, then the dtype's graph and its external data files. */
function selectFiles(hub: Hub, listing: HubFile[]): HubFile[] {
  const paths = new Set(listing.map((f) => f.path));
  const graph = modelFileName(hub.dtype);
  if (!paths.has(graph)) {
    const has = MODEL_DTYPES.filter((d) => paths.has(modelFileName(d)));
    const where = hub.revision === 'main' ? hub.id : `${hub.id} at ${hub.revision}`;
    throw new UsageError(has.length > 0
      ? `${where} has no ${hub.dtype} weights (${graph}); it has ${has.join(', ')}: choose one with --dtype`
      : `${where} has no ONNX weights (onnx/model*.onnx); choose a repository with an ONNX export, such as onnx-community's`);
  }
  const metadata: readonly string[] = MODEL_METADATA_FILES;
  const rank = (f: HubFile): number => (metadata.includes(f.path) ? metadata.indexOf(f.path) : metadata.length);
  return listing
    .filter((f) => metadata.includes(f.path) || belongsToDtype(f.path, hub.dtype))
    .sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function resolveUrl(hub: Hub, revision: string, path: string): URL {
  return new URL(`${hub.base}/${hub.id}/resolve/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`);
}

// ---- one file

/**
 * Puts one file in place: kept if it is already there with the listed size and hash; otherwise its `.part` is
 * resumed (or started), checked, and renamed into place.
 */
async function fetchFile(hub: Hub, file: HubFile, revision: string, recorded: ManifestEntry | undefined, progress: ProgressTracker): Promise<{ downloaded: number; reused: number }> {
  const target = join(hub.dir, file.path);
  const part = `${target}.part`;
  await mkdir(dirname(target), { recursive: true });
  if ((await sizeOf(target)) === file.size && (await sameContent(hub, target, file, recorded))) {
    progress.reuse(file);
    return { downloaded: 0, reused: file.size };
  }

  let offset = (await sizeOf(part)) ?? 0;
  if (offset > file.size) {
    await rm(part, { force: true });
    offset = 0;
  }
  progress.start(file, offset);
  let downloaded = 0;
  if (offset < file.size || file.size === 0) {
    const response = await openDownload(hub, file, revision, offset);
    offset = response.offset;
    downloaded = await writeBody(hub, file, response.body, part, offset, progress);
  }
  progress.finish(file);

  const size = (await sizeOf(part)) ?? 0;
  const fail = async (what: string): Promise<never> => {
    await rm(part, { force: true });
    throw new DownloadError(`${file.path} of ${hub.id} ${what}; the partial download was removed: run the command again to download it afresh`);
  };
  if (size !== file.size) await fail(`is ${size} bytes but the hub lists ${file.size}`);
  const check = hashCheckOf(file);
  if (check) {
    const actual = await hashFile(part, check.hash(), hub.signal);
    if (actual !== check.expected) await fail(`failed its ${check.name} check: expected ${check.expected}, got ${actual}`);
  }
  await rename(part, target);
  // A resumed part was downloaded in two runs; the bytes of the earlier one count as reused.
  return { downloaded, reused: offset };
}

/** GET the file from `offset` on; a server that ignores the Range (200) or refuses it (416) restarts it from 0. */
async function openDownload(hub: Hub, file: HubFile, revision: string, offset: number): Promise<{ body: IncomingMessage; offset: number }> {
  const url = resolveUrl(hub, revision, file.path);
  const response = await hubGet(hub, url, offset > 0 ? { range: `bytes=${offset}-` } : {});
  if (offset > 0 && response.status === 206) {
    const start = /^bytes (\d+)-/.exec(String(response.headers['content-range'] ?? ''))?.[1];
    if (Number(start) === offset) return { body: response.body, offset };
    response.body.resume();
  } else if (response.status === 200) {
    return { body: response.body, offset: 0 };
  } else if (offset > 0 && response.status === 416) {
    response.body.resume();
  } else {
    throw await statusError(hub, response, file.path, true);
  }
  const again = await hubGet(hub, url);
  if (again.status !== 200) throw await statusError(hub, again, file.path, true);
  return { body: again.body, offset: 0 };
}

/**
 * Streams the body into the part file from `offset` (truncating it when 0). Each chunk is written before the next
 * is read, so an interruption leaves a part file of whole received bytes for the next run to resume from.
 */
async function writeBody(hub: Hub, file: HubFile, body: IncomingMessage, part: string, offset: number, progress: ProgressTracker): Promise<number> {
  const handle = await open(part, offset > 0 ? 'a' : 'w');
  let received = 0;
  progress.start(file, offset);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (offset + received + chunk.length > file.size) {
        body.destroy();
        throw new DownloadError(`${hostOf(body)} sent more than the ${file.size} bytes the hub lists for ${file.path} of ${hub.id}; run the command again later`);
      }
      await handle.write(chunk);
      received += chunk.length;
      progress.add(chunk.length);
    }
  } catch (error) {
    if (hub.signal?.aborted) throw new CancelledError();
    if (error instanceof DownloadError || error instanceof Unreachable) throw error;
    const reason = failureOf(body) ?? 'the connection closed';
    throw new DownloadError(`${reason} while downloading ${file.path} of ${hub.id} (${offset + received} of ${file.size} bytes); run the command again to resume from there`);
  } finally {
    await handle.close();
  }
  return received;
}

/** Whether a file already in place is the one listed: by the hash recorded when it was downloaded, else by hashing it. */
async function sameContent(hub: Hub, path: string, file: HubFile, recorded: ManifestEntry | undefined): Promise<boolean> {
  const check = hashCheckOf(file);
  if (!check) return true;
  if (recorded && recorded.size === file.size && (recorded.sha256 ?? recorded.gitOid) === check.expected) return true;
  throwIfCancelled(hub.signal);
  return (await hashFile(path, check.hash(), hub.signal)) === check.expected;
}

function hashCheckOf(file: HubFile): { name: string; expected: string; hash: () => Hash } | undefined {
  if (file.sha256) return { name: 'SHA-256', expected: file.sha256, hash: () => createHash('sha256') };
  if (file.gitOid) return { name: 'git blob SHA-1', expected: file.gitOid, hash: () => createHash('sha1').update(`blob ${file.size}\0`) };
  return undefined;
}

async function hashFile(path: string, hash: Hash, signal: AbortSignal | undefined): Promise<string> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    throwIfCancelled(signal);
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

// ---- offline

/** The hub could not be reached at all (no network, DNS, refused, unroutable): the way out is copying by hand. */
class Unreachable extends Error {
  constructor(readonly origin: string, readonly reason: string) {
    super(`cannot reach ${origin} (${reason})`);
  }
}

/** "cannot reach …: download the files … by hand into DIR, then run again", listing the files still missing. */
function offlineMessage(hub: Hub, error: Unreachable, missing?: HubFile[]): string {
  const graph = modelFileName(hub.dtype);
  const files = missing
    ? missing.map((f) => f.path).join(', ')
    : `config.json, tokenizer.json, tokenizer_config.json, and ${MODEL_METADATA_FILES.filter((f) => !['config.json', 'tokenizer.json', 'tokenizer_config.json'].includes(f)).join(', ')} where present, ${graph} and its ${graph}_data* files if any`;
  const page = `${hub.base}/${hub.id}/tree/${encodeURIComponent(hub.revision)}`;
  return `${error.message}: download the files of ${page} (${files}) by hand into ${hub.dir}, keeping their paths, then run again`;
}

/**
 * Offline, a folder is still usable if an earlier download completed, or if its files were copied in by hand
 * (then recorded in the manifest as such, sizes only).
 */
async function localModel(hub: Hub): Promise<DownloadResult | undefined> {
  const manifest = await readManifest(hub.dir);
  const complete = manifest ? await completeFiles(hub.dir, manifest, hub.dtype) : undefined;
  if (manifest && complete) {
    return { dir: hub.dir, files: complete, downloadedBytes: 0, reusedBytes: complete.reduce((sum, f) => sum + (manifest.files[f]?.size ?? 0), 0) };
  }

  const graph = modelFileName(hub.dtype);
  const required = ['config.json', 'tokenizer.json', graph];
  if ((await Promise.all(required.map((f) => sizeOf(join(hub.dir, f))))).some((size) => size === undefined)) return undefined;
  let onnx: string[] = [];
  try {
    onnx = (await readdir(join(hub.dir, 'onnx'))).map((name) => `onnx/${name}`).filter((path) => belongsToDtype(path, hub.dtype));
  } catch {
    // required above, so the folder exists
  }
  const files: Record<string, ManifestEntry> = {};
  for (const path of [...MODEL_METADATA_FILES, ...onnx.sort()]) {
    const size = await sizeOf(join(hub.dir, path));
    if (size !== undefined) files[path] = { size };
  }
  const byHand: DownloadManifest = { id: hub.id, revision: hub.revision, dtypes: [...new Set([...(manifest?.dtypes ?? []), hub.dtype])], files: { ...manifest?.files, ...files }, byHand: true };
  await writeManifest(hub.dir, byHand);
  return { dir: hub.dir, files: Object.keys(files), downloadedBytes: 0, reusedBytes: Object.values(files).reduce((sum, f) => sum + f.size, 0) };
}

// ---- the manifest

async function readManifest(dir: string): Promise<DownloadManifest | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as DownloadManifest;
    if (typeof value.id !== 'string' || !Array.isArray(value.dtypes) || !value.files || typeof value.files !== 'object') return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/** Written to a temporary name and renamed, so a reader never sees half of it. */
async function writeManifest(dir: string, manifest: DownloadManifest): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  await mkdir(dir, { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(manifest, null, 2) + '\n');
  await rename(`${path}.tmp`, path);
}

/** The dtype's files when its download completed and each is still in place at its recorded size. */
async function completeFiles(dir: string, manifest: DownloadManifest, dtype: ModelDtype): Promise<string[] | undefined> {
  if (!manifest.dtypes.includes(dtype) || !manifest.files[modelFileName(dtype)]) return undefined;
  const metadata: readonly string[] = MODEL_METADATA_FILES;
  const files = Object.keys(manifest.files).filter((path) => metadata.includes(path) || belongsToDtype(path, dtype));
  for (const path of files) {
    if ((await sizeOf(join(dir, path))) !== manifest.files[path]?.size) return undefined;
  }
  return files;
}

// ---- progress

/** Sums the bytes in place across files and reports them at most every 100 ms. */
class ProgressTracker {
  private done = 0;
  private file = '';
  private fileBytes = 0;
  private fileTotal = 0;
  private last = 0;

  constructor(private readonly total: number, private readonly onProgress?: (progress: DownloadProgress) => void) {}

  reuse(file: HubFile): void {
    this.start(file, file.size);
    this.finish(file);
  }

  start(file: HubFile, bytes: number): void {
    this.file = file.path;
    this.fileBytes = bytes;
    this.fileTotal = file.size;
    this.report(true);
  }

  add(bytes: number): void {
    this.fileBytes += bytes;
    this.report(false);
  }

  finish(file: HubFile): void {
    this.done += file.size;
    this.fileBytes = file.size;
    this.report(true, file.size);
  }

  private report(force: boolean, finished = 0): void {
    const now = Date.now();
    if (!this.onProgress || (!force && now - this.last < 100)) return;
    this.last = now;
    const bytes = this.done - finished + this.fileBytes;
    this.onProgress({ file: this.file, fileBytes: this.fileBytes, fileTotal: this.fileTotal, bytes, total: this.total });
  }
}

// ---- HTTP

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CONNECT_TIMEOUT_MS = 30_000;
const IDLE_TIMEOUT_MS = 60_000;

interface HubResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/**
 * A GET that follows redirects (the hub sends LFS files to a CDN host), with the token sent only to the endpoint's
 * own origin: a signed CDN URL must not receive it.
 */
async function hubGet(hub: Hub, url: URL, headers: Record<string, string> = {}): Promise<HubResponse> {
  for (let hop = 0; hop <= 10; hop++) {
    const auth: Record<string, string> = hub.token && url.origin === hub.origin ? { authorization: `Bearer ${hub.token}` } : {};
    const response = await send(url, { 'user-agent': 'longrepo/0.1.0', ...headers, ...auth }, hub.signal);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (!REDIRECTS.has(status) || !location) return { status, headers: response.headers, body: response };
    response.resume();
    url = new URL(location, url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DownloadError(`${hub.origin} redirected ${hub.id} to a ${url.protocol} URL; only http and https are followed`);
  }
  throw new DownloadError(`${hub.origin} redirected more than 10 times for ${hub.id}; check HF_ENDPOINT`);
}

const failures = new WeakMap<IncomingMessage, string>();

function failureOf(response: IncomingMessage): string | undefined {
  return failures.get(response);
}

function hostOf(response: IncomingMessage): string {
  const req = (response as IncomingMessage & { req?: { host?: string } }).req;
  return req?.host ?? 'the server';
}

/** One request; failures to connect become Unreachable, a cancel a CancelledError. */
function send(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  if (signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise((resolve, reject) => {
    const req = requestFunction(url)!(url, { headers }); // http or https: parseEndpoint and the redirects checked
    let failure: Error | undefined;
    let response: IncomingMessage | undefined;
    const fail = (error: Error): void => {
      failure ??= error;
      if (response) failures.set(response, error.message);
      req.destroy(failure);
    };
    const onAbort = (): void => fail(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    req.setTimeout(IDLE_TIMEOUT_MS, () => fail(new Error(`${url.host} sent nothing for ${IDLE_TIMEOUT_MS / 1000} s`)));
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => fail(new Unreachable(url.origin, `no connection after ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.on('close', () => signal?.removeEventListener('abort', onAbort));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (response) return; // reported by the body's reader
      reject(failure instanceof CancelledError || failure instanceof Unreachable ? failure : connectionError(url, failure ?? error));
    });
    req.on('response', (res: IncomingMessage) => {
      // A body that is only drained (a redirect, an error page) must not crash the process when the connection drops.
      res.on('error', () => undefined);
      response = res;
      resolve(res);
    });
    req.end();
  });
}

function connectionError(url: URL, error: NodeJS.ErrnoException): Error {
  switch (error.code) {
    case 'ECONNREFUSED':
      return new Unreachable(url.origin, 'connection refused');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new Unreachable(url.origin, `no address for ${url.hostname}`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return new Unreachable(url.origin, error.code === 'ETIMEDOUT' ? 'the connection timed out' : 'no route to the host');
    case 'ECONNRESET':
      return new Unreachable(url.origin, 'the connection was reset');
    default:
      if (/certificate|SSL|TLS/i.test(error.message)) {
        return new DownloadError(`cannot reach ${url.origin}: TLS failed (${error.message}); if a proxy re-signs TLS, set NODE_EXTRA_CA_CERTS to its certificate`);
      }
      return new DownloadError(`cannot reach ${url.origin}: ${error.message}; run the command again`);
  }
}

async function readBody(response: HubResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length > limit) {
      response.body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}

async function readJson(hub: Hub, response: HubResponse, what: string): Promise<unknown> {
  let body: Buffer;
  try {
    body = await readBody(response, 256 * 1024 * 1024);
  } catch {
    if (hub.signal?.aborted) throw new CancelledError();
    throw new DownloadError(`${hub.origin} closed the connection while sending the ${what} of ${hub.id}; run the command again`);
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new DownloadError(`${hub.origin} sent a ${what} for ${hub.id} that is not JSON; is HF_ENDPOINT (${hub.base}) a Hugging Face hub?`);
  }
}

/** The hub's answer as one line: X-Error-Code tells a missing repository, revision and file apart. */
async function statusError(hub: Hub, response: HubResponse, what: string, isFile = false): Promise<Error> {
  const code = String(response.headers['x-error-code'] ?? '');
  const detail = await hubMessage(hub, response);
  const page = `${hub.base}/${hub.id}`;
  response.body.resume();
  if (code === 'RevisionNotFound') return new UsageError(`no revision ${hub.revision} of ${hub.id} on the hub; check --revision`);
  if (code === 'GatedRepo' || response.status === 403 || (response.status === 401 && code !== 'RepoNotFound')) {
    return new UsageError(`the model ${hub.id} is gated or private: accept its licence at ${page} and set HF_TOKEN` +
      (hub.token ? ' (the HF_TOKEN set has no access to it)' : ''));
  }
  if (response.status === 401) {
    // Without a token the hub answers 401 for a missing repository as for a private one.
    return new UsageError(`no model ${hub.id} on the hub (check the name), or it is gated or private: then accept its licence at ${page} and set HF_TOKEN`);
  }
  if (response.status === 401 && hub.token && /invalid (credentials|token)/i.test(detail)) {
    return new UsageError(`the hub rejected HF_TOKEN as invalid${detail}; set it to a token from ${hub.base}/settings/tokens`);
  }
  if (response.status === 404) {
    return code === 'EntryNotFound' || (isFile && code !== 'RepoNotFound')
      ? new DownloadError(`${what} of ${hub.id} is listed but the hub has no such file at ${hub.revision}; run the command again`)
      : new UsageError(`no model ${hub.id} on the hub (check the name: ${page})`);
  }
  if (response.status === 429) return new DownloadError(`the hub is limiting requests (429)${detail}; wait a few minutes and run the command again${hub.token ? '' : ', or set HF_TOKEN'}`);
  return new DownloadError(`${hub.origin} answered ${response.status} for ${what} of ${hub.id}${detail}; run the command again later`);
}

/** The hub's `{"error": "…"}`, one line, without the token. */
async function hubMessage(hub: Hub, response: HubResponse): Promise<string> {
  try {
    const text = (await readBody(response, 4096)).toString('utf8');
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof error !== 'string' || error.trim() === '') return '';
    return `: ${withoutSecret(error, hub.token).replace(/\s+/g, ' ').trim().slice(0, 200)}`;
  } catch {
    return '';
  }
}

function parseEndpoint(endpoint: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    // reported below
  }
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new UsageError(`the hub endpoint must be an http:// or https:// URL, not "${endpoint}" (check HF_ENDPOINT)`);
  }
  return url;
}

function checkModelId(id: string): void {
  const part = /^[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?$/;
  const [owner, name, ...rest] = id.split('/');
  if (rest.length > 0 || !owner || !name || !part.test(owner) || !part.test(name) || /--|\.\./.test(id) || id.endsWith('.git')) {
    throw new UsageError(`"${id}" is not a model ID on the hub: write it as owner/name with letters, digits, "-", "_" and ".", e.g. onnx-community/Qwen2.5-0.5B-Instruct`);
  }
}
