/**
 * The `longrepo` command: runs the CLI bundle (`cliMain.js` beside this file) with V8's code cache.
 *
 * Compiling the megabyte bundle, and then each function the command calls, took ~40 ms of every run (a warm pack
 * of django takes ~0.35 s in all). The first run of a build keeps V8's compiled code of every function it ran in
 * the user's cache directory (`code/`); later runs of the same bundle on the same Node start from it. V8 checks the
 * cache against its own version and flags and rejects a stale one; the file is named by a hash of the bundle's
 * text, so another build never reads it. Without a writable cache directory, or with `--no-cache`, the bundle is
 * simply compiled as usual.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { defaultCacheDir } from '../packer/cache/cacheDir.js';

const bundle = join(__dirname, 'cliMain.js');
const source = readFileSync(bundle, 'utf8');
const useCache = !process.argv.includes('--no-cache');
const key = createHash('sha1').update(source).update(process.version).update(process.arch).digest('hex').slice(0, 20);
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
