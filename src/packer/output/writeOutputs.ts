import { constants } from 'node:fs';
import { access, copyFile, lstat, open, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
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
 * What an output holds: text; pieces of text or bytes, written without joining them; or a copy of a file of known
 * size (made by the kernel, or a clone where the file system can), with the pieces to write instead should the copy
 * fail or come out another size, and for a special file.
 */
export type OutputData = string | Iterable<string | Buffer> | { copy: { path: string; size: number }; pieces: () => Iterable<string | Buffer> };

/**
 * Writes several files all-or-nothing as far as a file system allows: every temporary file is written first, then
 * each is renamed into place, so a failure or Ctrl-C never leaves half a prompt behind. A symbolic link is written
 * through (its target replaced, the link kept); a special file (/dev/stdout, a FIFO) is written in place, after the
 * temporary files and before the renames.
 */
export async function writeOutputs(outputs: { path: string; data: OutputData }[]): Promise<void> {
  const targets = await Promise.all(outputs.map((o) => destination(o.path)));
  // Unique per process and call; created exclusively, so a name in use fails instead of being overwritten. (Not
  // random bytes: seeding the generator took ~9 ms of every warm pack.)
  const temps = targets.map((t) => (t.special ? t.path : `${t.path}.${process.pid}.${Date.now().toString(36)}.${(written++).toString(36)}.tmp`));
  const created = new Set<string>(); // only these are ours to remove
  const pieces = ({ data }: { data: OutputData }): Iterable<string | Buffer> => (typeof data === 'string' ? [data] : 'copy' in data ? data.pieces() : data);
  const write = (o: { data: OutputData }, temp: string): Promise<void> => (typeof o.data === 'object' && 'copy' in o.data
    ? copyOrWrite(temp, o.data, created)
    : writePieces(temp, pieces(o), created));
  try {
    await Promise.all(outputs.map((o, i) => (targets[i]!.special ? undefined : write(o, temps[i]!))));
    for (let i = 0; i < outputs.length; i++) if (targets[i]!.special) await writePieces(temps[i]!, pieces(outputs[i]!), undefined);
    for (let i = 0; i < outputs.length; i++) if (!targets[i]!.special) await rename(temps[i]!, targets[i]!.path);
  } catch (error) {
    await Promise.all([...created].map((t) => rm(t, { force: true })));
    throw error;
  }
}

/** Temporary files named by this process so far. */
let written = 0;

/** Copies `data.copy` to the new file `path`, or writes `data.pieces()` there if the copy fails or differs in size. */
async function copyOrWrite(path: string, data: Extract<OutputData, { copy: unknown }>, created: Set<string>): Promise<void> {
  try {
    await copyFile(data.copy.path, path, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    created.add(path);
    if ((await stat(path)).size === data.copy.size) return;
  } catch {
    // written below instead
  }
  await rm(path, { force: true });
  created.delete(path);
  await writePieces(path, data.pieces(), created);
}

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
