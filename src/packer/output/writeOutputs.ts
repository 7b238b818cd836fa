import { constants } from 'node:fs';
import { access, lstat, open, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Where an output goes: through an existing symbolic link to its target (the link stays a link), else the path
 * itself; and whether that is a special file (a device such as /dev/null or /dev/stdout, a FIFO, a socket), which is
 * written in place: replacing it by a new regular file would break it for everyone.
 */
async function destination(path: string): Promise<{ path: string; special: boolean }> {
  let target = path;
  const link = await lstat(path).catch(() => undefined);
  if (link?.isSymbolicLink()) {
    target = await realpath(path).catch(async () => resolve(dirname(path), await readlink(path))); // a dangling link: its target is made
  }
  const info = await stat(target).catch(() => undefined);
  return { path: target, special: info !== undefined && !info.isFile() && !info.isDirectory() };
}

/** Fails before any work when an output cannot be written, so a long pack is not wasted. */
export async function checkOutputPath(path: string, flag: string): Promise<void> {
  const target = await destination(path);
  const dir = dirname(target.path);
  const writable = async (what: string, where: string): Promise<void> => {
    try {
      await access(what, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'not writable';
      throw new UsageError(`cannot write ${flag} ${path}: ${where} is not writable (${code}); choose another path`);
    }
  };
  if (target.special) return writable(target.path, target.path);
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new UsageError(`cannot write ${flag} ${path}: the directory ${dir} does not exist (create it first)`);
  }
  if (!info.isDirectory()) throw new UsageError(`cannot write ${flag} ${path}: ${dir} is not a directory`);
  await writable(dir, `the directory ${dir}`);
  const existing = await stat(target.path).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`cannot write ${flag} ${path}: it is a directory; name a file`);
}

/**
 * Writes several files all-or-nothing as far as a file system allows: every temporary file is written first, then
 * each is renamed into place, so a failure or Ctrl-C never leaves half a prompt behind. A symbolic link is written
 * through (its target replaced, the link kept); a special file (/dev/stdout, a FIFO) is written in place, after the
 * temporary files and before the renames.
 */
export async function writeOutputs(outputs: { path: string; data: string | Iterable<string | Buffer> }[]): Promise<void> {
  const targets = await Promise.all(outputs.map((o) => destination(o.path)));
  // Unique per process and call; created exclusively, so a name in use fails instead of being overwritten. (Not
  // random bytes: seeding the generator took ~9 ms of every warm pack.)
  const temps = targets.map((t) => (t.special ? t.path : `${t.path}.${process.pid}.${Date.now().toString(36)}.${(written++).toString(36)}.tmp`));
  const created = new Set<string>(); // only these are ours to remove
  const pieces = (o: { data: string | Iterable<string | Buffer> }): Iterable<string | Buffer> => (typeof o.data === 'string' ? [o.data] : o.data);
  try {
    await Promise.all(outputs.map((o, i) => (targets[i]!.special ? undefined : writePieces(temps[i]!, pieces(o), created))));
    for (let i = 0; i < outputs.length; i++) if (targets[i]!.special) await writePieces(temps[i]!, pieces(outputs[i]!), undefined);
    for (let i = 0; i < outputs.length; i++) if (!targets[i]!.special) await rename(temps[i]!, targets[i]!.path);
  } catch (error) {
    await Promise.all([...created].map((t) => rm(t, { force: true })));
    throw error;
  }
}

/** Temporary files named by this process so far. */
let written = 0;

/** Writes pieces (text or bytes) in chunks of about a megabyte, so a prompt is never joined into one string. */
async function writePieces(path: string, pieces: Iterable<string | Buffer>, created: Set<string> | undefined): Promise<void> {
  // A temporary file is created here (and is ours to remove); a special file is opened as it is.
  const handle = await open(path, created ? 'wx' : 'w');
  created?.add(path);
  try {
    let chunk: Buffer[] = [];
    let size = 0;
    for (const piece of pieces) {
      const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      chunk.push(bytes);
      size += bytes.length;
      if (size >= 1 << 20 || chunk.length >= 512) {
        await handle.writev(chunk);
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) await handle.writev(chunk);
  } finally {
    await handle.close();
  }
}
