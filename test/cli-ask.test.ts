// `longrepo ask` as users run it (the built bundle) against a loopback server speaking vLLM's OpenAI-compatible
// wire format (test/helpers/modelServer) — the process must not block, so the CLI runs asynchronously.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { badGatewayReply, openaiErrorReply, type ModelServer, type Reply } from './helpers/modelServer/modelServer.js';
import { closedPort, useModelServers } from './helpers/modelServer/useModelServers.js';
import { gitRepo, useTempDirs } from './helpers/repo.js';

const cli = join(__dirname, '..', 'dist', 'cli.js');
const temp = useTempDirs();
const startServer = useModelServers();

const repo = temp();
gitRepo(repo, {
  'src/retry.ts': 'export const RETRIES = 3;\nexport function backoff(n: number): number {\n  return 2 ** n * 100;\n}\n',
  'src/client.ts': "import { RETRIES, backoff } from './retry';\nexport async function call(): Promise<void> {\n  for (let i = 0; i < RETRIES; i++) await sleep(backoff(i));\n}\ndeclare function sleep(ms: number): Promise<void>;\n",
  'README.md': '# demo\n',
});

async function serve(replies: Reply[]): Promise<ModelServer> {
  return startServer({ replies, models: [{ id: 'prolong-8b', maxModelLen: 65536 }], pieceDelayMs: 0 });
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}, onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^LONGREPO_|_API_KEY$/.test(k)));
    const child = spawn(process.execPath, [cli, ...args], { env: { ...clean, LONGREPO_CACHE_DIR: join(repo, '..', 'cache'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('ask streams the answer, then lists each citation as valid, corrected or invalid', async () => {
  const server = await serve([{ kind: 'openai-stream', deltas: ['Retries: ', '[src/retry.ts:L1] and ', '[src/client.ts:L3-L99] and [lib/gone.ts:L2]'], usage: { prompt: 400, completion: 30, cached: 0 } }]);
  const r = await run(['ask', repo, 'Where are retries configured?', '--endpoint', `${server.url}/v1`]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith('Retries: [src/retry.ts:L1] and [src/client.ts:L3-L99] and [lib/gone.ts:L2]\n'), r.stdout);
  assert.match(r.stdout, /citations \(2 of 3 valid\):\n {2}✓ src\/retry\.ts:1\n {2}~ src\/client\.ts:3-99 → src\/client\.ts:3-5 \(.+\)\n {2}✗ lib\/gone\.ts:2: .*not in the prompt/);
  assert.match(r.stderr, /packed 3 files into [\d,]+ tokens, budget [\d,]+ of a 65,536-token window; asking http:\/\/127\.0\.0\.1:\d+\/v1/);
  assert.match(r.stderr, /400 prompt tokens \(0 cached\), 30 answer tokens; packed in [\d.]+ s, first token after [\d.]+ s/);
});

test('--json prints the answer object of the CLI contract', async () => {
  const server = await serve([{ kind: 'openai-stream', deltas: ['See [src/retry.ts:L2-L4].'], usage: { prompt: 10, completion: 5 } }]);
  const r = await run(['ask', repo, 'How long is the backoff?', '--endpoint', `${server.url}/v1`, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.answer, 'See [src/retry.ts:L2-L4].');
  assert.deepEqual(json.citations.map((c: object) => Object.fromEntries(Object.entries(c).filter(([k]) => ['path', 'start', 'end', 'valid'].includes(k)))),
    [{ path: 'src/retry.ts', start: 2, end: 4, valid: true }]);
  assert.equal(typeof json.citations[0].reason, 'string');
  assert.deepEqual(Object.keys(json.usage), ['promptTokens', 'cachedTokens', 'completionTokens']);
  assert.deepEqual(Object.keys(json.timings), ['packMs', 'ttftMs', 'totalMs']);
  assert.equal(r.stderr, '');
});

test('--conversation continues with the earlier turns after the same repository bytes', async () => {
  const server = await serve([{ kind: 'openai-stream', deltas: ['first answer'] }, { kind: 'openai-stream', deltas: ['second answer'] }]);
  const file = join(temp(), 'talk.json');
  const args = ['--endpoint', `${server.url}/v1`, '--conversation', file, '-q'];
  assert.equal((await run(['ask', repo, 'first question', ...args])).status, 0);
  const second = await run(['ask', repo, 'second question', ...args]);
  assert.equal(second.status, 0, second.stderr);
  const [one, two] = server.requests.filter((r) => r.method === 'POST').map((r) => r.body);
  const end = one!.indexOf('first question');
  assert.ok(two!.startsWith(one!.slice(0, end)), 'same bytes up to the first question');
  const messages = (server.requests.at(-1)!.json as { messages: { role: string; content: string }[] }).messages;
  assert.deepEqual(messages.slice(2).map((m) => [m.role, m.content]), [['assistant', 'first answer'], ['user', 'second question']]);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).turns.length, 2);
});

test('bad endpoints and keys end with one line naming the endpoint and what to check', async () => {
  const port = await closedPort();
  const refused = await run(['ask', repo, 'q', '--endpoint', `http://127.0.0.1:${port}/v1`, '--model', 'm', '--window', '8000']);
  assert.equal(refused.status, 1);
  assert.equal(refused.stderr.trim().split('\n').at(-1), `longrepo: cannot reach http://127.0.0.1:${port}/v1: connection refused; is the server running, and is the endpoint's port right?`);
  // Without --model and --window the server is asked for them first: the same line, not "does not list its models".
  const unasked = await run(['ask', repo, 'q', '--endpoint', `http://127.0.0.1:${port}/v1`]);
  assert.equal(unasked.status, 1, unasked.stderr);
  assert.equal(unasked.stderr.trim(), `longrepo: cannot reach http://127.0.0.1:${port}/v1: connection refused; is the server running, and is the endpoint's port right?`);

  const server = await serve([
    openaiErrorReply(401, 'Invalid API key sk-secret-777', { code: 'invalid_api_key' }),
    { kind: 'json', status: 404, body: { error: { message: 'The model `nope` does not exist.', type: 'NotFoundError', param: null, code: 404 } } },
    badGatewayReply(),
    { kind: 'hang' },
  ]);
  const endpoint = ['--endpoint', `${server.url}/v1`, '--retries', '0', '-q'];
  const unauthorised = await run(['ask', repo, 'q', ...endpoint], { LONGREPO_API_KEY: 'sk-secret-777' });
  assert.equal(unauthorised.status, 1);
  assert.match(unauthorised.stderr, /^longrepo: http:\/\/127\.0\.0\.1:\d+\/v1 rejected the API key \(401\).*check LONGREPO_API_KEY\n$/);
  assert.doesNotMatch(unauthorised.stderr, /sk-secret-777/);
  const missing = await run(['ask', repo, 'q', ...endpoint, '--model', 'nope', '--window', '65536']);
  assert.match(missing.stderr, /^longrepo: .* has no model "nope" \(404\).*pass --model/);
  const html = await run(['ask', repo, 'q', ...endpoint]);
  assert.match(html.stderr, /failed \(502\) with an HTML page/);
  const silent = await run(['ask', repo, 'q', ...endpoint, '--timeout', '1']);
  assert.equal(silent.status, 1);
  assert.match(silent.stderr, /sent nothing for 1 s.*raise --timeout/);
});

test('no endpoint and no local model, and a key in .longrepo.json, are usage errors (exit 2)', async () => {
  const none = await run(['ask', repo, 'q']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^longrepo: no model server is configured and the default local model is not downloaded: run `longrepo model download onnx-community\/Llama-3.2-1B-Instruct` .*pass --yes .*or pass --endpoint URL/);
  const withKey = temp();
  gitRepo(withKey, { 'a.py': 'x = 1\n', '.longrepo.json': '{ "endpoint": "http://127.0.0.1:1/v1", "apiKey": "sk-x" }\n' });
  const keyed = await run(['ask', withKey, 'q']);
  assert.equal(keyed.status, 2);
  assert.match(keyed.stderr, /has "apiKey": API keys do not belong in a file that may be committed; set LONGREPO_API_KEY/);
  assert.doesNotMatch(keyed.stderr, /sk-x/);
});

test('settings come from .longrepo.json and LONGREPO_ENDPOINT; flags win', async () => {
  const server = await serve([{ kind: 'openai-stream', deltas: ['from env'] }, { kind: 'openai-stream', deltas: ['from file'] }]);
  const env = await run(['ask', repo, 'q', '-q'], { LONGREPO_ENDPOINT: `${server.url}/v1` });
  assert.equal(env.status, 0, env.stderr);
  assert.ok(env.stdout.startsWith('from env'));
  const configured = temp();
  gitRepo(configured, { 'a.py': 'x = 1\n', '.longrepo.json': `// project settings\n{ "endpoint": "${server.url}/v1", "model": "prolong-8b", "maxTokens": 512, "lineNumbers": "none" }\n` });
  const file = await run(['ask', configured, 'q', '-q']);
  assert.equal(file.status, 0, file.stderr);
  const body = server.requests.at(-1)!.json as { model: string; max_tokens: number; messages: { content: string }[] };
  assert.equal(body.model, 'prolong-8b');
  assert.equal(body.max_tokens, 512);
  assert.match(body.messages[0]!.content, /Lines are not numbered/);
});

test('Ctrl-C while waiting for the answer stops at once and writes nothing', async () => {
  const server = await serve([{ kind: 'hang' }]);
  const out = temp();
  const started = Date.now();
  const r = await run(['ask', repo, 'q', '--endpoint', `${server.url}/v1`, '--manifest', join(out, 'm.json'), '--conversation', join(out, 'c.json')], {}, (text, child) => {
    if (/asking/.test(text) && child.exitCode === null && !child.killed) setTimeout(() => child.kill('SIGINT'), 200);
  });
  assert.equal(r.status, 130);
  assert.match(r.stderr, /cancelled/);
  assert.ok(Date.now() - started < 10_000);
  assert.deepEqual(readdirSync(out), []);
  assert.equal(existsSync(join(out, 'm.json')), false);
});


test('ask answers although the cache cannot be written, and says so once', async () => {
  const notADirectory = join(temp(), 'cache-is-a-file');
  writeFileSync(notADirectory, 'x');
  const server = await serve([{ kind: 'openai-stream', deltas: ['See [src/retry.ts:L1].'], usage: { prompt: 10, completion: 5 } }]);
  const r = await run(['ask', repo, 'Where are retries configured?', '--endpoint', `${server.url}/v1`], { LONGREPO_CACHE_DIR: notADirectory });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith('See [src/retry.ts:L1].'), r.stdout);
  assert.equal(r.stderr.match(/cannot write the cache in .*cache-is-a-file \(ENOTDIR\): this pack is complete/g)?.length, 1, r.stderr);
});

test('--manifest and --conversation naming the same file is refused before anything runs', async () => {
  const same = join(temp(), 'same.json');
  const r = await run(['ask', repo, 'Where are retries configured?', '--endpoint', 'http://127.0.0.1:9/v1', '--manifest', same, '--conversation', same]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--manifest and --conversation both name .*same\.json: give each a file of its own/);
  assert.ok(!existsSync(same));
});
