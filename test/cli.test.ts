import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { corpusDir } from './helpers/corpus.js';
import { tempDir } from './helpers/repo.js';

// The CLI as users run it: the built bundle (npm test builds first).
const cli = join(__dirname, '..', 'dist', 'cli.js');
const express = corpusDir('node-express');
const { dir, cleanup } = tempDir();
after(cleanup);

function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8', env: { ...process.env, LONGREPO_CACHE_DIR: join(dir, 'cache'), ...env }, maxBuffer: 256 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('pack writes the prompt and the manifest, and says what it did on stderr', () => {
  const out = join(dir, 'prompt.txt');
  const manifestPath = join(dir, 'm.json');
  const r = run(['pack', express, '-o', out, '--manifest', manifestPath]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^packed \d+ files \(.+\) into [\d,]+ cl100k_base tokens, [\d,]+ import edges, \d+ skipped, dependency order, in [\d.]+ s → /);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  assert.equal(manifest.version, 1);
  assert.equal(manifest.order, 'dependency');
  assert.equal(manifest.tokenizer, 'cl100k_base');
  assert.equal(manifest.budget, null);
  assert.ok(manifest.files.length > 100);
  assert.ok(readFileSync(out, 'utf8').startsWith('<repository name="express-4.18.2"'));
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
});

test('the command keeps V8\'s compiled code in the cache directory, replaces a damaged copy, and writes none with --no-cache', () => {
  const cacheDir = join(dir, 'code-cache');
  const env = { LONGREPO_CACHE_DIR: cacheDir };
  const codeFiles = (): string[] => (existsSync(join(cacheDir, 'code')) ? readdirSync(join(cacheDir, 'code')) : []);
  const first = run(['pack', express, '-o', join(dir, 'code1.txt'), '-q'], env);
  assert.equal(first.status, 0, first.stderr);
  const [file] = codeFiles();
  assert.match(file ?? '', /^cli-[0-9a-z]+-[0-9a-z]+-[0-9a-z]+-v\d+\.\d+\.\d+-\w+\.bin$/, 'named by the bundle\'s size, time and inode, and Node\'s version');
  const path = join(cacheDir, 'code', file!);
  const made = readFileSync(path);
  assert.ok(made.length > 100_000, `${made.length} bytes of compiled code`);
  const second = run(['pack', express, '-o', join(dir, 'code2.txt'), '-q'], env);
  assert.equal(second.status, 0, second.stderr);
  assert.ok(readFileSync(path).equals(made), 'an accepted cache is not written again');
  assert.equal(readFileSync(join(dir, 'code2.txt'), 'utf8'), readFileSync(join(dir, 'code1.txt'), 'utf8'));
  writeFileSync(path, Buffer.alloc(made.length, 7)); // damaged: V8 rejects it
  const third = run(['pack', express, '-o', join(dir, 'code3.txt'), '-q'], env);
  assert.equal(third.status, 0, third.stderr);
  assert.equal(readFileSync(join(dir, 'code3.txt'), 'utf8'), readFileSync(join(dir, 'code1.txt'), 'utf8'));
  assert.ok(!readFileSync(path).equals(Buffer.alloc(made.length, 7)), 'the damaged cache was replaced');
  assert.deepEqual(codeFiles(), [file]);
  const none = run(['pack', express, '-o', join(dir, 'code4.txt'), '-q', '--no-cache'], { LONGREPO_CACHE_DIR: join(dir, 'code-none') });
  assert.equal(none.status, 0, none.stderr);
  assert.ok(!existsSync(join(dir, 'code-none')), '--no-cache writes nothing');
});

test('a cache that cannot be written does not fail the pack: one notice says why and the way out', () => {
  // A cache directory that is a file fails for root too (permissions would not: the tests may run as root).
  const notADirectory = join(dir, 'cache-is-a-file');
  writeFileSync(notADirectory, 'x');
  const out = join(dir, 'prompt-without-cache.txt');
  for (const extra of [[], ['--budget', '30k', '--question', 'how are routes matched?']]) {
    const r = run(['pack', express, '-o', out, ...extra], { LONGREPO_CACHE_DIR: notADirectory });
    assert.equal(r.status, 0, r.stderr);
    const notices = r.stderr.split('\n').filter((line) => line.startsWith('longrepo: '));
    assert.equal(notices.length, 1, r.stderr);
    assert.match(notices[0]!, new RegExp(`cannot write the cache in ${notADirectory} \\(ENOTDIR\\): this pack is complete, .*set LONGREPO_CACHE_DIR to another one, or turn the cache off \\(--no-cache\\)`));
    assert.equal(readFileSync(out, 'utf8'), run(['pack', express, ...extra, '--no-cache']).stdout, 'the same prompt as without a cache');
  }
  assert.equal(readFileSync(notADirectory, 'utf8'), 'x');
  assert.equal(run(['pack', express, '-o', out, '-q'], { LONGREPO_CACHE_DIR: notADirectory }).stderr, '', '--quiet: no notice');
});

test('-o through a symbolic link writes its target and keeps the link; -o to a FIFO writes into it, not over it', async () => {
  const target = join(dir, 'link-target.txt');
  writeFileSync(target, 'old');
  const link = join(dir, 'prompt-link.txt');
  symlinkSync(target, link);
  assert.equal(run(['pack', express, '-o', link, '-q', '--no-cache']).status, 0);
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
  const expected = run(['pack', express, '-q', '--no-cache']).stdout;
  assert.equal(readFileSync(target, 'utf8'), expected);
  // A FIFO stands for /dev/stdout and /dev/null, which a test must not risk replacing: the reader gets the prompt.
  const fifo = join(dir, 'prompt.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const reader = spawn('timeout', ['30', 'cat', fifo]); // a pack that replaced the FIFO would leave it waiting
  let read = '';
  reader.stdout.on('data', (d: Buffer) => (read += d.toString()));
  const closed = new Promise((resolve) => reader.on('close', resolve));
  const r = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [cli, 'pack', express, '-o', fifo, '-q', '--no-cache'], { stdio: 'ignore' });
    child.on('close', resolve);
  });
  await closed;
  assert.equal(r, 0);
  assert.equal(read, expected);
  assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is still a FIFO');
});

test('a prompt written into the repository is not packed by the next pack', () => {
  const repo = join(dir, 'self');
  mkdirSync(repo);
  writeFileSync(join(repo, 'a.py'), 'print(1)\n');
  for (let time = 0; time < 2; time++) {
    const r = run(['pack', repo, '-o', join(repo, 'prompt.txt'), '--manifest', join(repo, 'manifest.json'), '-q']);
    assert.equal(r.status, 0, r.stderr);
  }
  const manifest = JSON.parse(readFileSync(join(repo, 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.files.map((f: { path: string }) => f.path), ['a.py']);
  assert.deepEqual(manifest.skipped, [{ path: 'manifest.json', reason: 'output of this command' }, { path: 'prompt.txt', reason: 'output of this command' }]);
});

test('without -o the prompt goes to stdout; --json prints the manifest instead', () => {
  const plain = run(['pack', express, '--format', 'plain', '--line-numbers', 'none', '-q']);
  assert.equal(plain.status, 0, plain.stderr);
  assert.ok(plain.stdout.startsWith('Repository express-4.18.2: '));
  assert.equal(plain.stderr, '');
  const json = run(['pack', express, '--json', '-o', join(dir, 'p2.txt')]);
  assert.equal(json.status, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).format, 'xml');
  assert.equal(json.stderr, '', 'no progress or summary with --json');
});

test('bad input gets one line naming the problem and the way out, exit 2, nothing written', () => {
  const out = join(dir, 'never.txt');
  const file = join(dir, 'a-file.txt');
  writeFileSync(file, 'x');
  const badTokenizer = join(dir, 'bad-tokenizer.json');
  writeFileSync(badTokenizer, 'not json');
  const cases: [string[], RegExp][] = [
    [['pack', join(dir, 'missing'), '-o', out], /does not exist: pass the directory of a repository/],
    [['pack', file, '-o', out], /is a file, not a directory/],
    [['pack', express, '--order', 'sideways', '-o', out], /unknown --order "sideways": use dependency, reverse, alphabetical, random:SEED or churn/],
    [['pack', express, '--order', 'random', '-o', out], /random needs a seed/],
    [['pack', express, '--budget', 'lots', '-o', out], /--budget must be a whole number of tokens above 0 \(e\.g\. 131072 or 128k\), not "lots"/],
    [['pack', express, '--budget', '0', '-o', out], /--budget must be a whole number/],
    [['pack', express, '--tokenizer', join(dir, 'nope', 'tokenizer.json'), '-o', out], /cannot read tokenizer file .*\(ENOENT\)/],
    [['pack', express, '--tokenizer', badTokenizer, '-o', out], /is not a Hugging Face tokenizer\.json/],
    [['pack', express, '--format', 'html', '-o', out], /argument 'html' is invalid. Allowed choices are xml, markdown, plain/],
    [['pack', express, '-o', join(dir, 'no-such-dir', 'p.txt')], /the directory .*no-such-dir does not exist \(create it first\)/],
    [['pack', express, '--order', 'churn', '-o', out], /--order churn needs git history/],
    [['pack', express, '--budget', '20', '-o', out], /a budget of 20 tokens is below the smallest prompt for this repository, \d+ tokens .*raise --budget to at least \d+/],
    [['pack', express, '-o', out, '--manifest', out], /-o and --manifest both name .*never\.txt: give the manifest a file of its own/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.ok(!existsSync(out), 'nothing written');
  }
});

test('Ctrl-C stops a pack at once and leaves nothing half-written', async () => {
  const out = join(dir, 'interrupted.txt');
  const child = spawn(process.execPath, [cli, 'pack', corpusDir('node-babel7'), '-o', out, '--no-cache'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise((r) => setTimeout(r, 700));
  const started = Date.now();
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 130, stderr);
  assert.ok(Date.now() - started < 10_000, 'stops instead of hanging');
  assert.match(stderr, /cancelled; nothing was written/);
  assert.ok(!existsSync(out));
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('interrupted')), []);
});

test('on a terminal pack shows a progress bar on stderr; through a pipe it does not', () => {
  const out = join(dir, 'tty.txt');
  // `script` gives the command a pseudo-terminal, as a user's shell would.
  const r = spawnSync('script', ['-qec', `${process.execPath} ${cli} pack ${express} -o ${out} --no-cache`, '/dev/null'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /(reading|counting) +\[[#-]+\] \d+\/\d+ files \| [\d,]+ tokens counted/);
  const piped = run(['pack', express, '-o', out, '--no-cache']);
  assert.doesNotMatch(piped.stderr, /\[[#-]+\]/);
});

test('the CLI bundle packs from a copy of dist/ alone: no package outside it loads for pack (onnxruntime-node only for a local model)', () => {
  const copy = join(dir, 'dist-alone');
  cpSync(join(__dirname, '..', 'dist'), copy, { recursive: true });
  const out = join(dir, 'alone.txt');
  const r = spawnSync(process.execPath, [join(copy, 'cli.js'), 'pack', express, '-o', out, '-q', '--budget', '20k', '--question', 'how are routes matched?'], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, LONGREPO_CACHE_DIR: join(dir, 'alone-cache') },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(out, 'utf8'), /<repository /);
});
