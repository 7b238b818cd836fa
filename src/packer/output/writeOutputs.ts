import { constants } from 'node:fs';
import { access, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';

/** Fails before any work when an output's directory is missing, so a long pack is not wasted. */
export async function checkOutputPath(path: string, flag: string): Promise<void> {
  const dir = dirname(path);
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new UsageError(`cannot write ${flag} ${path}: the directory ${dir} does not exist (create it first)`);
  }
  if (!info.isDirectory()) throw new UsageError(`cannot write ${flag} ${path}: ${dir} is not a directory`);
  try {
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'not writable';
    throw new UsageError(`cannot write ${flag} ${path}: the directory ${dir} is not writable (${code}); choose a path in a writable directory`);
  }
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`cannot write ${flag} ${path}: it is a directory; name a file`);
}

/**
 * Writes several files all-or-nothing as far as a file system allows: every temporary file is written
 * first, then each is renamed into place, so a failure or Ctrl-C never leaves half a prompt behind.
 */
export async function writeOutputs(outputs: { path: string; data: string | Iterable<string | Buffer> }[]): Promise<void> {
  // Unique per process and call; created exclusively, so a name in use fails instead of being overwritten. (Not
  // random bytes: seeding the generator took ~9 ms of every warm pack.)
  const temps = outputs.map((o) => `${o.path}.${process.pid}.${Date.now().toString(36)}.${(written++).toString(36)}.tmp`);
  const created = new Set<string>(); // only these are ours to remove
  try {
    await Promise.all(outputs.map((o, i) => writePieces(temps[i]!, typeof o.data === 'string' ? [o.data] : o.data, created)));
    for (let i = 0; i < outputs.length; i++) await rename(temps[i]!, outputs[i]!.path);
  } catch (error) {
    await Promise.all([...created].map((t) => rm(t, { force: true })));
    throw error;
  }
}

/** Temporary files named by this process so far. */
let written = 0;

/** Writes pieces (text or bytes) in chunks of about a megabyte, so a prompt is never joined into one string. */
async function writePieces(path: string, pieces: Iterable<string | Buffer>, created: Set<string>): Promise<void> {
  const handle = await open(path, 'wx');
  created.add(path);
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
