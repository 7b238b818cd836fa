import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { countTokens as cl100kLibraryCount } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200kLibraryCount } from 'gpt-tokenizer/encoding/o200k_base';
import { backwardEdges } from '../src/packer/manifest.js';
import { pack } from '../src/packer/pack.js';
import { LINE_NUMBER_MODES, PROMPT_FORMATS } from '../src/packer/render/render.js';
import { loadTokenCounter } from '../src/packer/tokens/tokenizer.js';
import { corpusDir } from './helpers/corpus.js';
import { git, gitCopyOf, useTempDirs } from './helpers/repo.js';

const express = corpusDir('node-express');
const fresh = useTempDirs();

test('totalTokens is the count of the whole rendered prompt, in every format, line-number mode and tokenizer (express)', async () => {
  for (const tokenizer of ['cl100k', 'o200k']) {
    const counter = loadTokenCounter(tokenizer);
    for (const format of PROMPT_FORMATS) {
      for (const lineNumbers of LINE_NUMBER_MODES) {
        const { prompt, manifest } = await pack(express, { tokenizer, format, lineNumbers, cacheDir: null });
        assert.equal(manifest.totalTokens, counter.count(prompt), `${tokenizer} ${format} ${lineNumbers}`);
        if (format === 'xml') {
          // The BPE library's own whole-text count (special-token text counted as text, as ours does).
          const library = tokenizer === 'cl100k' ? cl100kLibraryCount : o200kLibraryCount;
          assert.equal(manifest.totalTokens, library(prompt, { disallowedSpecial: new Set() }), `library count, ${tokenizer} ${lineNumbers}`);
        }
        assert.equal(manifest.tokenizer, `${tokenizer}_base`);
      }
    }
  }
});

test('totalTokens is exact on a large Python repository too (django)', async () => {
  const { prompt, manifest } = await pack(corpusDir('python-django'), { cacheDir: null });
  assert.ok(manifest.files.length > 2000, `django has thousands of files (${manifest.files.length})`);
  assert.equal(manifest.totalTokens, loadTokenCounter('cl100k').count(prompt));
});

test('the prompt follows DESIGN.md: repository element, one file element per file with line numbers', async () => {
  const { prompt, manifest } = await pack(express, { cacheDir: null });
  assert.match(prompt, /^<repository name="express-4\.18\.2" files="\d+" order="dependency">\n/);
  assert.ok(prompt.endsWith('</repository>\n'));
  const index = manifest.files.find((f) => f.path === 'lib/express.js')!;
  assert.ok(prompt.includes(`<file path="lib/express.js" lines="${index.lines}" level="full">\n1  /*!\n2   * express\n`));
  assert.equal((prompt.match(/<file path=/g) ?? []).length, manifest.files.length);
});

test('same repository and settings give identical bytes, with or without the cache', async () => {
  const cacheDir = fresh();
  const a = await pack(express, { cacheDir: null });
  const b = await pack(express, { cacheDir });
  const c = await pack(express, { cacheDir });
  assert.equal(c.analysedFiles, 0, 'the warm pack analyses nothing');
  for (const other of [b, c]) {
    assert.equal(other.prompt, a.prompt);
    assert.equal(JSON.stringify(other.manifest), JSON.stringify(a.manifest));
  }
});

test('a shared cache never mixes renderings or tokenizers', async () => {
  const cacheDir = fresh();
  const variants = [{}, { format: 'markdown', lineNumbers: 'sparse' }, { tokenizer: 'o200k' }, { lineNumbers: 'none' }, {}] as const;
  for (const settings of variants) {
    const warm = await pack(express, { ...settings, cacheDir });
    const cold = await pack(express, { ...settings, cacheDir: null });
    assert.equal(warm.prompt, cold.prompt, JSON.stringify(settings));
    assert.equal(JSON.stringify(warm.manifest), JSON.stringify(cold.manifest), JSON.stringify(settings));
  }
});

test('every order is a permutation of the same files; dependency order has no forward edge outside a cycle', async () => {
  const root = fresh();
  gitCopyOf(express, root);
  appendFileSync(join(root, 'lib/router/index.js'), '\n// touched\n');
  git(root, 'commit', '-qam', 'touch the router');
  const results = new Map<string, Awaited<ReturnType<typeof pack>>>();
  for (const order of ['dependency', 'reverse', 'alphabetical', 'random:7', 'churn']) {
    results.set(order, await pack(root, { order, cacheDir: null }));
  }
  const dependency = results.get('dependency')!.manifest;
  const sorted = dependency.files.map((f) => f.path).sort();
  for (const [order, { manifest }] of results) {
    assert.equal(manifest.order, order);
    assert.deepEqual(manifest.files.map((f) => f.path).sort(), sorted, order);
  }
  assert.ok(dependency.stats.edges > 100, `express has import edges (${dependency.stats.edges})`);
  assert.deepEqual(backwardEdges(dependency), []);
  const position = new Map(dependency.files.map((f, i) => [f.path, i]));
  assert.ok(position.get('lib/router/route.js')! < position.get('lib/router/index.js')!);
  assert.deepEqual(results.get('reverse')!.manifest.files.map((f) => f.path), dependency.files.map((f) => f.path).reverse());
  const churn = results.get('churn')!.manifest.files.map((f) => f.path);
  assert.equal(churn.at(-1), 'lib/router/index.js', 'the most changed file comes last');
  const random = results.get('random:7')!.manifest.files.map((f) => f.path);
  assert.deepEqual((await pack(root, { order: 'random:7', cacheDir: null })).manifest.files.map((f) => f.path), random);
});

test('the cache redoes only what changed after a one-file edit', async () => {
  const root = fresh();
  const cacheDir = fresh();
  gitCopyOf(express, root);
  const cold = await pack(root, { cacheDir });
  assert.equal(cold.analysedFiles, cold.manifest.files.length);
  const warm = await pack(root, { cacheDir });
  assert.equal(warm.analysedFiles, 0);
  writeFileSync(join(root, 'lib/utils.js'), 'module.exports = require("./request");\n');
  const edited = await pack(root, { cacheDir });
  assert.equal(edited.analysedFiles, 1);
  const utils = edited.manifest.files.find((f) => f.path === 'lib/utils.js')!;
  assert.deepEqual(utils.imports, ['lib/request.js']);
  assert.equal(edited.manifest.totalTokens, loadTokenCounter('cl100k').count(edited.prompt));
});

test('a warm pack of unchanged files needs only the snapshot; a lost entries file costs time, never correctness', async () => {
  const root = fresh();
  const cacheDir = fresh();
  gitCopyOf(express, root);
  const cold = await pack(root, { cacheDir });
  const repos = join(cacheDir, 'repos');
  const entriesFile = readdirSync(repos).find((f) => f.endsWith('.entries.json'))!;
  rmSync(join(repos, entriesFile));
  const warm = await pack(root, { cacheDir });
  assert.equal(warm.analysedFiles, 0, 'every file was known from the snapshot');
  assert.equal(warm.prompt, cold.prompt);
  assert.ok(!existsSync(join(repos, entriesFile)), 'an unchanged warm pack writes nothing');
  // A damaged index is set aside: the pack starts over.
  const index = join(repos, readdirSync(repos).find((f) => f.endsWith('.index'))!);
  writeFileSync(index, readFileSync(index).subarray(0, 5000));
  const damaged = await pack(root, { cacheDir });
  assert.equal(damaged.prompt, cold.prompt);
  assert.equal(damaged.analysedFiles, cold.analysedFiles);
  rmSync(join(repos, entriesFile));
  // An edit changes the graph: every file's imports are resolved again, those of unchanged files extracted anew.
  writeFileSync(join(root, 'lib/utils.js'), 'module.exports = require("./request");\n');
  const edited = await pack(root, { cacheDir });
  const none = await pack(root, { cacheDir: null });
  assert.equal(edited.prompt, none.prompt);
  assert.equal(JSON.stringify(edited.manifest), JSON.stringify(none.manifest));
  assert.ok(readdirSync(repos).some((f) => f.endsWith('.entries.json')), 'the entries are written again');
  assert.equal((await pack(root, { cacheDir })).analysedFiles, 0);
});

test('a whole pack\'s block store is its prompt: an unchanged repository\'s is offered to copy, any other prompt is pieces', { skip: process.platform !== 'linux' && 'the store is offered through /proc/self/fd' }, async () => {
  const root = fresh();
  const cacheDir = fresh();
  gitCopyOf(express, root);
  const options = { cacheDir, promptToFile: true };
  const storeFile = (): string => join(cacheDir, 'repos', readdirSync(join(cacheDir, 'repos')).find((f) => f.endsWith('.blocks'))!);
  const cold = await pack(root, options);
  assert.equal(cold.storedPrompt, undefined, 'nothing was stored before');
  cold.close();
  assert.equal(readFileSync(storeFile(), 'utf8'), cold.prompt, 'the store is the prompt, byte for byte');

  const warm = await pack(root, options);
  assert.ok(warm.storedPrompt, 'an unchanged repository: its prompt is the store');
  assert.equal(warm.storedPrompt.size, Buffer.byteLength(cold.prompt));
  assert.equal(readFileSync(warm.storedPrompt.path, 'utf8'), cold.prompt);
  assert.equal(warm.prompt, cold.prompt, 'the pieces are read from the store when asked for');
  assert.equal(warm.block('lib/router/index.js'), cold.block('lib/router/index.js'));
  warm.close();
  // Only for a caller that writes the prompt to a file (others are given the pieces, with the store closed).
  const notToFile = await pack(root, { cacheDir });
  assert.equal(notToFile.storedPrompt, undefined);
  assert.equal(notToFile.prompt, cold.prompt);

  // Another order is another prompt: written from the blocks, then stored in its turn.
  const alphabetical = await pack(root, { ...options, order: 'alphabetical' });
  assert.equal(alphabetical.storedPrompt, undefined);
  assert.equal(alphabetical.prompt, (await pack(root, { order: 'alphabetical', cacheDir: null })).prompt);
  assert.equal(readFileSync(storeFile(), 'utf8'), alphabetical.prompt);
  const again = await pack(root, { ...options, order: 'alphabetical' });
  assert.equal(again.storedPrompt?.size, Buffer.byteLength(alphabetical.prompt));
  again.close();

  // A fitted pack never offers the store; the whole pack after it gets the right prompt (from pieces or the store).
  const fitted = await pack(root, { ...options, budget: 20_000 });
  assert.equal(fitted.storedPrompt, undefined);
  const whole = await pack(root, options);
  assert.equal(whole.prompt, cold.prompt);
  whole.close();

  // An edit: a new prompt, from pieces, the same as without a cache; the store is that prompt again. (Committed, so
  // that the next pack can trust the file at once: an edit seconds old is read again, and the store then too.)
  appendFileSync(join(root, 'lib/utils.js'), '\n// edited\n');
  git(root, 'commit', '-qam', 'edit');
  const edited = await pack(root, options);
  assert.equal(edited.storedPrompt, undefined);
  assert.equal(edited.prompt, (await pack(root, { cacheDir: null })).prompt);
  edited.close();
  assert.equal(readFileSync(storeFile(), 'utf8'), edited.prompt);
  const afterEdit = await pack(root, options);
  assert.equal(readFileSync(afterEdit.storedPrompt!.path, 'utf8'), edited.prompt);
  afterEdit.close();
});

test('a warm pack sees every kind of change git and the file system can report', async () => {
  const root = fresh();
  const cacheDir = fresh();
  gitCopyOf(express, root);
  await pack(root, { cacheDir });
  // Older than the snapshot's racy window, so only content checks can catch the changes below.
  await new Promise((r) => setTimeout(r, 2100));
  writeFileSync(join(root, 'lib/view.js'), readFileSync(join(root, 'lib/view.js'), 'utf8').replace('module.exports', 'module.exports '));
  writeFileSync(join(root, 'lib/untracked.js'), 'module.exports = require("./view");\n');
  rmSync(join(root, 'lib/middleware/query.js'));
  git(root, 'rm', '-q', '--cached', 'History.md');
  writeFileSync(join(root, 'index.js'), readFileSync(join(root, 'index.js'), 'utf8').replace('express', 'EXPRESS'));
  git(root, 'add', 'index.js'); // staged: the index now holds the new blob
  const warm = await pack(root, { cacheDir });
  const cold = await pack(root, { cacheDir: null });
  assert.equal(warm.prompt, cold.prompt);
  assert.equal(JSON.stringify(warm.manifest), JSON.stringify(cold.manifest));
  assert.ok(warm.manifest.files.some((f) => f.path === 'lib/untracked.js'));
  assert.ok(!warm.manifest.files.some((f) => f.path === 'lib/middleware/query.js'));
  assert.ok(warm.prompt.includes('EXPRESS'));
  assert.ok(warm.analysedFiles >= 3 && warm.analysedFiles < 10, `only the changed files are analysed (${warm.analysedFiles})`);
});

test('outside git, an edit that keeps the size and the mtime is still seen (ctime)', async () => {
  const root = fresh();
  const cacheDir = fresh();
  writeFileSync(join(root, 'a.py'), 'x = 1\n');
  writeFileSync(join(root, 'b.py'), 'import a\n');
  utimesSync(join(root, 'a.py'), new Date(2020, 0, 1), new Date(2020, 0, 1));
  const first = await pack(root, { cacheDir });
  assert.ok(first.prompt.includes('x = 1'));
  await new Promise((r) => setTimeout(r, 2100));
  const { mtime } = statSync(join(root, 'a.py'));
  writeFileSync(join(root, 'a.py'), 'x = 2\n');
  utimesSync(join(root, 'a.py'), mtime, mtime);
  const second = await pack(root, { cacheDir });
  assert.ok(second.prompt.includes('x = 2'), 'the edited text is packed');
});

test('a budget below the smallest prompt names the minimum; a bad budget is refused', async () => {
  await assert.rejects(pack(express, { budget: 20, cacheDir: null }), /a budget of 20 tokens is below the smallest prompt for this repository, (\d+) tokens .* raise --budget to at least \1/);
  await assert.rejects(pack(express, { budget: -5, cacheDir: null }), /--budget must be a whole number/);
});
