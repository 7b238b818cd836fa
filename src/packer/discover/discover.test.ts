import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { git, gitRepo, useTempDirs, writeTree } from '../../../test/helpers/repo.js';
import { discoverFiles } from './discover.js';

const fresh = useTempDirs();

const reasons = (d: Awaited<ReturnType<typeof discoverFiles>>): Record<string, string> =>
  Object.fromEntries(d.skipped.map((s) => [s.path, s.reason]));

test('inside git: tracked plus untracked-not-ignored files, .longrepoignore also applies', async () => {
  const root = fresh();
  gitRepo(root, { 'src/a.ts': 'export const a = 1;\n', '.gitignore': 'secret.txt\n', 'docs/.longrepoignore': 'draft.md\n', 'docs/draft.md': '# x\n', 'docs/final.md': '# y\n' });
  writeTree(root, { 'src/untracked.ts': 'export {};\n', 'secret.txt': 'hidden\n' });
  const d = await discoverFiles(root);
  assert.equal(d.git, true);
  assert.match(d.revision ?? '', /^[0-9a-f]{7}$/);
  const paths = d.files.map((f) => f.path);
  assert.deepEqual(paths, ['.gitignore', 'docs/.longrepoignore', 'docs/final.md', 'src/a.ts', 'src/untracked.ts']);
  assert.equal(reasons(d)['docs/draft.md'], 'ignored by docs/.longrepoignore');
  assert.ok(!d.listed.has('secret.txt'), 'git-ignored files are not even listed');
});

test('inside git: a folder of a work tree lists its own files; a repository without commits has no revision', async () => {
  const root = fresh();
  gitRepo(root, { 'src/a.ts': 'export const a = 1;\n', 'src/lib/b.ts': 'export const b = 2;\n', 'README.md': '# r\n' });
  writeFileSync(join(root, 'src/lib/b.ts'), 'export const b = 3;\n'); // changed: read from the work tree
  writeTree(root, { 'src/new.ts': 'export {};\n' });
  const folder = await discoverFiles(join(root, 'src'));
  assert.equal(folder.git, true);
  assert.deepEqual(folder.files.map((f) => f.path), ['a.ts', 'lib/b.ts', 'new.ts']);
  assert.equal(folder.files.find((f) => f.path === 'lib/b.ts')!.text, 'export const b = 3;\n');

  // A folder holding a `.git` that is not a repository (git then looks further up, and status, asked without a
  // pathspec because of that `.git`, lists the whole work tree): still only the folder's own files.
  const odd = join(root, 'src', 'lib');
  writeTree(root, { 'untracked-at-top.ts': 'export {};\n', 'src/lib/.git/empty': '' });
  const inOdd = await discoverFiles(odd);
  assert.deepEqual(inOdd.files.map((f) => f.path), ['b.ts']);
  assert.deepEqual([...inOdd.listed], ['b.ts'], 'nothing from elsewhere in the work tree');
  assert.equal(inOdd.files[0]!.text, 'export const b = 3;\n', 'the change status reports is seen');

  const unborn = fresh();
  writeTree(unborn, { 'main.py': 'print(1)\n', 'pkg/util.py': 'x = 1\n' });
  git(unborn, 'init', '-q', '-b', 'main');
  git(unborn, 'add', 'main.py');
  const d = await discoverFiles(unborn);
  assert.equal(d.git, true);
  assert.equal(d.revision, undefined);
  assert.deepEqual(d.files.map((f) => f.path), ['main.py', 'pkg/util.py']);
});

test('default exclusions and unreadable content are skipped with a reason each', async () => {
  const root = fresh();
  gitRepo(root, {
    'package-lock.json': '{}\n', 'dist/out.js': 'x\n', 'vendor/lib.go': 'package lib\n', 'web/app.min.js': 'a\n',
    'web/bundle.js': 'var a=1;'.repeat(2000), 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    'data.blob': Buffer.from([1, 2, 0, 3]), 'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
    'empty.txt': '', 'blank.txt': '\n\n  \n', 'big.txt': 'x'.repeat(2 * 1024 * 1024), 'node_modules/m/index.js': 'x\n',
    'ok.py': 'print(1)\n', 'crlf.txt': 'a\r\nb\r\n',
  });
  const d = await discoverFiles(root);
  const r = reasons(d);
  assert.equal(r['package-lock.json'], 'lock file');
  assert.equal(r['dist/out.js'], 'build output');
  assert.equal(r['vendor/lib.go'], 'vendored');
  assert.equal(r['web/app.min.js'], 'minified');
  assert.equal(r['web/bundle.js'], 'minified');
  assert.equal(r['logo.png'], 'binary');
  assert.equal(r['data.blob'], 'binary');
  assert.equal(r['latin1.txt'], 'not valid UTF-8');
  assert.equal(r['empty.txt'], 'empty');
  assert.equal(r['blank.txt'], 'empty');
  assert.equal(r['big.txt'], '2 MB is over the 1 MB file limit (--max-file-bytes)');
  assert.equal(r['node_modules/m/index.js'], 'dependencies');
  assert.deepEqual(d.files.map((f) => f.path), ['crlf.txt', 'ok.py']);
  assert.equal(d.files[0]!.text, 'a\nb\n', 'CRLF is normalised so line numbers match the editor');
  assert.equal(d.files[0]!.lines, 2);
});

test('symlinks never lead outside the root', async () => {
  const root = fresh();
  const outside = fresh();
  writeFileSync(join(outside, 'passwords.txt'), 'hunter2\n');
  gitRepo(root, { 'real.ts': 'export {};\n' });
  symlinkSync(join(outside, 'passwords.txt'), join(root, 'leak.txt'));
  symlinkSync(outside, join(root, 'leakdir'));
  symlinkSync('real.ts', join(root, 'alias.ts'));
  symlinkSync(join(root, 'missing'), join(root, 'broken.ts'));
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'links');
  const d = await discoverFiles(root);
  const r = reasons(d);
  assert.equal(r['leak.txt'], 'symlink leads outside the repository');
  assert.equal(r['leakdir'], 'symlink leads outside the repository');
  assert.equal(r['alias.ts'], 'symlink to real.ts (packed there if included)');
  assert.equal(r['broken.ts'], 'broken symlink');
  assert.deepEqual(d.files.map((f) => f.path), ['real.ts']);
  assert.ok(!d.files.some((f) => f.text.includes('hunter2')));
});

test('outside git: nested .gitignore, .ignore and .longrepoignore are honoured', async () => {
  const root = fresh();
  writeTree(root, {
    '.gitignore': '*.log\n/build-notes.md\n', 'app.log': 'x\n', 'build-notes.md': 'x\n', 'keep.md': 'k\n',
    'pkg/.gitignore': 'generated/\n', 'pkg/generated/g.ts': 'x\n', 'pkg/src/a.ts': 'a\n', 'pkg/build-notes.md': 'kept: anchored rule is root-only\n',
    'pkg/.ignore': 'tmp.txt\n', 'pkg/tmp.txt': 'x\n', 'pkg/.longrepoignore': '!important.log\n', 'pkg/important.log': 'x\n',
    'other/.longrepoignore': 'fixtures/**\n', 'other/fixtures/f.json': '{}\n', 'other/b.ts': 'b\n',
  });
  const d = await discoverFiles(root);
  assert.equal(d.git, false);
  const paths = d.files.map((f) => f.path);
  assert.deepEqual(paths, [
    '.gitignore', 'keep.md', 'other/.longrepoignore', 'other/b.ts', 'pkg/.gitignore', 'pkg/.ignore', 'pkg/.longrepoignore',
    'pkg/build-notes.md', 'pkg/important.log', 'pkg/src/a.ts',
  ]);
});

test('a missing directory and a file are refused with the way out', async () => {
  const root = fresh();
  await assert.rejects(discoverFiles(join(root, 'nope')), /does not exist: pass the directory of a repository/);
  writeFileSync(join(root, 'f.txt'), 'x');
  await assert.rejects(discoverFiles(join(root, 'f.txt')), /is a file, not a directory/);
});
