/**
 * The `longrepo` command: runs the CLI bundle (`cliMain.js` beside this file) with V8's code cache.
 *
 * Compiling the megabyte bundle, and then each function the command calls, took ~40 ms of every run (a warm pack
 * of django takes ~0.35 s in all). The first run of a build keeps V8's compiled code of every function it ran in
 * the user's cache directory (`code/`); later runs of the same bundle on the same Node start from it. V8 checks the
 * cache against its own version and flags and rejects a stale one, but it checks the source only by its length: so
 * the file is named by the bundle's size, modification time and inode (and Node's version), and another build never
 * reads it. (A hash of the text named it before: hashing and decoding the megabyte took ~7 ms of every start.)
 * Without a writable cache directory, or with `--no-cache`, the bundle is simply compiled as usual.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { defaultCacheDir } from '../packer/cache/cacheDir.js';

const bundle = join(__dirname, 'cliMain.js');
// The bundle is ASCII (esbuild escapes the rest in code, scripts/build.mjs in comments): Latin-1 decodes it fastest.
const source = readFileSync(bundle, 'latin1');
const useCache = !process.argv.includes('--no-cache');
const built = statSync(bundle);
const key = `${built.size.toString(36)}-${Math.trunc(built.mtimeMs).toString(36)}-${built.ino.toString(36)}-${process.version}-${process.arch}`;
const codeDir = join(defaultCacheDir(), 'code');
const cacheFile = join(codeDir, `cli-${key}.bin`);

let cachedData: Buffer | undefined;
if (useCache) {
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // none yet: this run makes it
  }
}
const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
if (useCache && (!cachedData || script.cachedDataRejected)) process.once('exit', () => saveCode(script));

const main = new Module(bundle, module);
main.filename = bundle;
main.loaded = true;
require.main = main;
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
run.call(main.exports, main.exports, createRequire(bundle), main, bundle, dirname(bundle));

/** Keeps the code compiled in this run (written whole, then renamed; older builds' files are removed). */
function saveCode(compiled: Script): void {
  try {
    mkdirSync(codeDir, { recursive: true });
    const temp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temp, compiled.createCachedData());
    renameSync(temp, cacheFile);
    for (const name of readdirSync(codeDir)) {
      if (name.startsWith('cli-') && name !== `cli-${key}.bin` && name.endsWith('.bin')) rmSync(join(codeDir, name), { force: true });
    }
  } catch {
    // a read-only or full cache directory: the next run compiles again
  }
}
