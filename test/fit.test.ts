import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RepositoryConversation } from '../src/packer/conversation.js';
import { pack } from '../src/packer/pack.js';
import { loadTokenCounter } from '../src/packer/tokens/tokenizer.js';
import { corpusDir } from './helpers/corpus.js';
import { gitCopyOf, useTempDirs } from './helpers/repo.js';

const fresh = useTempDirs();
const counter = loadTokenCounter('cl100k');

for (const pkg of ['python-django', 'node-babel7']) {
  test(`${pkg}: every budget holds exactly and is at least 97 % used`, async () => {
    const dir = corpusDir(pkg);
    const cacheDir = fresh();
    for (const budget of [8_000, 32_000, 128_000, 512_000]) {
      const { manifest, prompt } = await pack(dir, { budget, question: 'where are database connections configured?', cacheDir });
      const counted = counter.count(prompt);
      assert.equal(manifest.totalTokens, counted, `${budget}: totalTokens is the count of the prompt`);
      assert.ok(counted <= budget, `${budget}: ${counted} tokens`);
      assert.ok(counted >= 0.97 * budget, `${budget}: only ${counted} tokens used`);
      const levels = new Set(manifest.files.map((f) => f.level));
      assert.ok(levels.has('full') && levels.has('omitted'), `${budget}: ${[...levels]}`);
      for (const file of manifest.files) assert.ok(file.rank && file.reason, `${file.path} has a rank and a reason`);
      console.log(JSON.stringify({ repo: pkg, budget, totalTokens: counted, full: manifest.files.filter((f) => f.level === 'full').length,
        signatures: manifest.files.filter((f) => f.level === 'signatures').length, omitted: manifest.files.filter((f) => f.level === 'omitted').length }));
    }
  });
}

test('the fitted prompt keeps the dependency order of the whole repository', async () => {
  const whole = await pack(corpusDir('python-django'), { cacheDir: null });
  const fitted = await pack(corpusDir('python-django'), { budget: 64_000, question: 'how are migrations ordered?', cacheDir: null });
  const position = new Map(whole.manifest.files.map((f, i) => [f.path, i]));
  const shown = fitted.manifest.files.filter((f) => f.level !== 'omitted').map((f) => position.get(f.path)!);
  assert.deepEqual(shown, [...shown].sort((a, b) => a - b));
});

test('a repository that fits ignores the question; one that does not is ranked for it; same input, same bytes', async () => {
  const express = corpusDir('node-express');
  const a = await pack(express, { budget: 1_000_000, question: 'how are routes matched?', cacheDir: null });
  const b = await pack(express, { budget: 1_000_000, question: 'what does res.send do?', cacheDir: null });
  assert.equal(a.prompt, b.prompt);
  assert.ok(a.manifest.files.every((f) => f.level === 'full'));
  const c = await pack(express, { budget: 40_000, question: 'how does the router match a path with parameters?', cacheDir: null });
  const d = await pack(express, { budget: 40_000, question: 'how does the router match a path with parameters?', cacheDir: null });
  assert.equal(c.prompt, d.prompt);
  assert.ok(c.manifest.files.some((f) => f.level === 'omitted'));
  assert.equal(c.manifest.question, 'how does the router match a path with parameters?');
  const named = await pack(express, { budget: 40_000, question: 'what does lib/response.js do when sending JSON?', cacheDir: null });
  assert.equal(named.manifest.files.find((f) => f.path === 'lib/response.js')!.level, 'full');
});

test('a fitted pack is the same from a cold cache, a warm one (cached lexical index) and no cache', async () => {
  const cacheDir = fresh();
  const options = { budget: 30_000, question: 'how are query strings parsed?' };
  const cold = await pack(corpusDir('node-express'), { ...options, cacheDir });
  const warm = await pack(corpusDir('node-express'), { ...options, cacheDir });
  const none = await pack(corpusDir('node-express'), { ...options, cacheDir: null });
  for (const other of [warm, none]) {
    assert.equal(other.prompt, cold.prompt);
    assert.equal(JSON.stringify(other.manifest), JSON.stringify(cold.manifest));
  }
  // The signatures views are cached per file (elided lines; tokens per tokenizer): another tokenizer reuses the
  // elided lines, counts anew, and still gives what a pack without cache gives.
  const stored = readdirSync(join(cacheDir, 'repos')).filter((f) => f.endsWith('.entries.json'));
  const entries = Object.values((JSON.parse(readFileSync(join(cacheDir, 'repos', stored[0]!), 'utf8')) as { entries: Record<string, { elisions?: number[] }> }).entries);
  assert.ok(entries.filter((e) => e.elisions && e.elisions.length > 0).length >= cold.manifest.files.filter((f) => f.level === 'signatures').length);
  const o200k = await pack(corpusDir('node-express'), { ...options, tokenizer: 'o200k', cacheDir });
  const o200kNone = await pack(corpusDir('node-express'), { ...options, tokenizer: 'o200k', cacheDir: null });
  assert.equal(o200k.prompt, o200kNone.prompt);
  assert.equal(JSON.stringify(o200k.manifest), JSON.stringify(o200kNone.manifest));
});

test('the ranking made ahead from the last pack is kept only for the same files: after an edit the pack ranks anew', async () => {
  // A warm fitted pack ranks the last pack's files while git lists the files; an edit that changes the ranking
  // (a file gains the question's words) must give exactly what a pack without cache gives.
  const root = fresh();
  gitCopyOf(corpusDir('node-express'), root);
  const cacheDir = fresh();
  const options = { budget: 30_000, question: 'how are query strings parsed?' };
  await pack(root, { ...options, cacheDir });
  const warm = await pack(root, { ...options, cacheDir }); // ranked ahead, and kept
  assert.equal(warm.prompt, (await pack(root, { ...options, cacheDir: null })).prompt);
  const before = warm.manifest.files.find((f) => f.path === 'lib/view.js')!;
  appendFileSync(join(root, 'lib/view.js'), '\n// query strings are parsed here: query string parsing of the query string\n');
  const edited = await pack(root, { ...options, cacheDir });
  const none = await pack(root, { ...options, cacheDir: null });
  assert.equal(edited.prompt, none.prompt);
  assert.equal(JSON.stringify(edited.manifest), JSON.stringify(none.manifest));
  assert.ok(edited.manifest.files.find((f) => f.path === 'lib/view.js')!.rank! < before.rank!, 'the edit raised the file');
});

test('a warm fitted pack reads the blocks it shows from the store, and renders what a damaged store lacks', async () => {
  const cacheDir = fresh();
  const options = { budget: 30_000, question: 'how does the router match a path with parameters?' };
  const expected = await pack(corpusDir('node-express'), { ...options, cacheDir: null });
  await pack(corpusDir('node-express'), { cacheDir }); // the store holds every block
  const warm = await pack(corpusDir('node-express'), { ...options, cacheDir });
  assert.equal(warm.prompt, expected.prompt);
  assert.equal(JSON.stringify(warm.manifest), JSON.stringify(expected.manifest));
  // A store cut short (a crash, a full disk): the blocks it still holds are used, the others rendered again.
  const repos = join(cacheDir, 'repos');
  const store = join(repos, readdirSync(repos).find((f) => f.endsWith('.blocks'))!);
  truncateSync(store, Math.floor(statSync(store).size / 2));
  const damaged = await pack(corpusDir('node-express'), { ...options, cacheDir });
  assert.equal(damaged.prompt, expected.prompt);
  assert.equal((await pack(corpusDir('node-express'), { cacheDir })).prompt, (await pack(corpusDir('node-express'), { cacheDir: null })).prompt);
});

test('a warm fitted pack takes the signatures views from the snapshot: it needs no entries file', async () => {
  const cacheDir = fresh();
  const options = { budget: 30_000, question: 'how are query strings parsed?', cacheDir };
  const first = await pack(corpusDir('node-express'), options);
  const repos = join(cacheDir, 'repos');
  rmSync(join(repos, readdirSync(repos).find((f) => f.endsWith('.entries.json'))!));
  const again = await pack(corpusDir('node-express'), options);
  assert.equal(again.prompt, first.prompt);
  assert.equal(JSON.stringify(again.manifest), JSON.stringify(first.manifest));
  assert.ok(!readdirSync(repos).some((f) => f.endsWith('.entries.json')), 'nothing was made anew, so nothing was written');
});

test('once two questions were asked, asking either again (with a whole pack between) writes nothing to the cache', async () => {
  // django at 32K: the list of files not shown counts folders, and each question counts other ones.
  const cacheDir = fresh();
  const django = corpusDir('python-django');
  const ask = (question: string) => pack(django, { budget: 32_000, question, cacheDir });
  const first = await ask('how are query strings parsed?');
  await ask('where are cookies signed?');
  await pack(django, { cacheDir });
  const files = readdirSync(join(cacheDir, 'repos')).map((f) => join(cacheDir, 'repos', f));
  const stamps = () => files.map((f) => statSync(f).mtimeMs).join();
  const before = stamps();
  const again = await ask('how are query strings parsed?');
  await ask('where are cookies signed?');
  assert.equal(stamps(), before, 'the cache files were written again');
  assert.equal(again.prompt, first.prompt);
});

test('a conversation keeps its first pack for follow-up questions unless asked to re-pack', async () => {
  const conversation = new RepositoryConversation(corpusDir('node-express'), { budget: 40_000, cacheDir: null });
  const first = await conversation.packFor('how are routes matched?');
  const followUp = await conversation.packFor('and how are errors handled?');
  assert.equal(followUp.prompt, first.prompt);
  const repacked = await conversation.packFor('how are cookies signed?', { repack: true });
  assert.equal(repacked.manifest.question, 'how are cookies signed?');
});

test('a question in any script works, and an empty repository gets a clear message', async () => {
  const r = await pack(corpusDir('node-express'), { budget: 40_000, question: 'как обрабатываются ошибки? 路由是如何匹配的？', cacheDir: null });
  assert.ok(r.manifest.totalTokens <= 40_000);
  await assert.rejects(pack(fresh(), { budget: 40_000 }), /nothing to pack in .*: it has no files/);
});
