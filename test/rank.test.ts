/**
 * Ranking files for a question (src/packer/rank). Unit tests on small in-memory repositories, then retrieval on
 * REAL repositories (Debian source packages django and babel): for each question of test/retrieval/questions.json,
 * the rank of the best answer file under our ranking and under plain BM25 (MiniSearch's scores alone), computed in
 * the same run. One JSON line per repository; only sanity is asserted.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import MiniSearch from 'minisearch';
import { CancelledError } from '../src/packer/errors.js';
import { pack } from '../src/packer/pack.js';
import { declaredNames } from '../src/packer/rank/declarations.js';
import { findMentions } from '../src/packer/rank/named.js';
import { entryPoints, isGenerated, isProse, isTestPath } from '../src/packer/rank/paths.js';
import { createRanker, rankedOrder, rankFiles, type RankInput, type Ranking } from '../src/packer/rank/rank.js';
import { LexicalIndex, MAX_INDEXED_CHARS } from '../src/packer/rank/lexicalIndex.js';
import { forEachWord, questionTerms, wordTerms } from '../src/packer/rank/terms.js';
import { corpusDir } from './helpers/corpus.js';

/** A repository in memory: `files` maps path → text, `imports` maps path → the paths it imports. */
function memInput(files: Record<string, string>, imports: Record<string, string[]> = {}, question?: string): RankInput {
  const paths = Object.keys(files).sort();
  const index = new Map(paths.map((p, i) => [p, i]));
  return {
    paths,
    text: (i) => files[paths[i]!]!,
    imports: paths.map((p) => (imports[p] ?? []).map((q) => {
      const j = index.get(q);
      assert.ok(j !== undefined, `unknown import ${q}`);
      return j;
    })),
    question,
  };
}

/** Paths best first (ties by path). */
function order(ranking: Ranking, paths: readonly string[]): string[] {
  return rankedOrder(ranking.score, paths).map((i) => paths[i]!);
}

const SMALL: Record<string, string> = {
  'README.md': '# httpkit\n\nA small HTTP client for services.\n',
  'package.json': '{ "name": "httpkit", "main": "src/index.ts" }\n',
  'src/index.ts': "export { Client } from './client';\nexport { RetryPolicy } from './retry_policy';\n",
  'src/client.ts': "import { send } from './transport';\nimport { RetryPolicy } from './retry_policy';\n\nexport class Client {\n  constructor(private policy: RetryPolicy) {}\n  get(url: string) { return this.policy.run(() => send('GET', url)); }\n}\n",
  'src/retry_policy.ts': "import { sleep } from './timing/sleep';\n\n/** Retries a failing call with exponential backoff. */\nexport class RetryPolicy {\n  constructor(private maxRetryCount = 5, private baseDelayMs = 100) {}\n  async run<T>(call: () => Promise<T>): Promise<T> {\n    for (let attempt = 0; ; attempt++) {\n      try { return await call(); } catch (error) {\n        if (attempt >= this.maxRetryCount) throw error;\n        await sleep(this.backoffDelay(attempt));\n      }\n    }\n  }\n  backoffDelay(attempt: number): number { return this.baseDelayMs * 2 ** attempt; }\n}\n",
  'src/timing/sleep.ts': 'export function sleep(ms: number): Promise<void> {\n  return new Promise((resolve) => setTimeout(resolve, ms));\n}\n',
  'src/transport.ts': "export async function send(method: string, url: string): Promise<string> {\n  const response = await fetch(url, { method });\n  return response.text();\n}\n",
  'src/headers.ts': '// Стандартные заголовки запроса\nexport function parseHeaders(raw: string): Map<string, string> {\n  return new Map(raw.split(\'\\n\').map((line) => line.split(\': \') as [string, string]));\n}\n',
  'foo/bar.ts': 'export const answer = 42;\n',
  'test/retry_policy.test.ts': "import { RetryPolicy } from '../src/retry_policy';\n\ntest('gives up', () => new RetryPolicy(1).run(() => Promise.reject(new Error('x'))));\n",
  'test/client.test.ts': "import { Client } from '../src/client';\n\ntest('get', () => new Client(undefined as never));\n",
};
const SMALL_IMPORTS: Record<string, string[]> = {
  'src/index.ts': ['src/client.ts', 'src/retry_policy.ts'],
  'src/client.ts': ['src/transport.ts', 'src/retry_policy.ts'],
  'src/retry_policy.ts': ['src/timing/sleep.ts'],
  'test/retry_policy.test.ts': ['src/retry_policy.ts'],
  'test/client.test.ts': ['src/client.ts'],
};

describe('rankFiles on a small repository', () => {
  it('puts the retry module first and its dependency second for a question about retry backoff', () => {
    const input = memInput(SMALL, SMALL_IMPORTS, 'how long does the retry backoff wait between attempts?');
    const ranking = rankFiles(input);
    const best = order(ranking, input.paths);
    assert.deepEqual(best.slice(0, 2), ['src/retry_policy.ts', 'src/timing/sleep.ts'], best.join(', '));
    const retry = input.paths.indexOf('src/retry_policy.ts');
    assert.match(ranking.reason(retry), /question terms: .*retry.*backoff.*\(bm25 [\d.]+\)/);
    assert.match(ranking.reason(input.paths.indexOf('src/timing/sleep.ts')), /imported by 1 matching file/);
    assert.deepEqual(ranking.named, []);
  });

  it('names a file mentioned by path or file name, and a file declaring a symbol written in code style', () => {
    const byPath = memInput(SMALL, SMALL_IMPORTS, 'What does foo/bar.ts export?');
    const ranked = rankFiles(byPath);
    assert.deepEqual(ranked.named.map((i) => byPath.paths[i]), ['foo/bar.ts']);
    assert.equal(order(ranked, byPath.paths)[0], 'foo/bar.ts');
    assert.match(ranked.reason(ranked.named[0]!), /named in the question \(foo\/bar\.ts\)/);

    const byName = memInput(SMALL, SMALL_IMPORTS, 'is transport.ts safe to call twice?');
    assert.deepEqual(rankFiles(byName).named.map((i) => byName.paths[i]), ['src/transport.ts']);

    const bySymbol = memInput(SMALL, SMALL_IMPORTS, 'Why does RetryPolicy give up, and who calls parseHeaders?');
    const symbols = rankFiles(bySymbol);
    assert.deepEqual(symbols.named.map((i) => bySymbol.paths[i]).sort(), ['src/headers.ts', 'src/retry_policy.ts']);
    assert.match(symbols.reason(bySymbol.paths.indexOf('src/headers.ts')), /declares parseHeaders/);

    // plain words, short names and names nobody declares are not mentions
    for (const question of ['what does the client send?', 'where is `run` defined?', 'is NoSuchThing used?']) {
      const input = memInput(SMALL, SMALL_IMPORTS, question);
      assert.deepEqual(rankFiles(input).named, [], question);
    }
  });

  it('without a question puts README, the manifest and the main module first and tests last', () => {
    const input = memInput(SMALL, SMALL_IMPORTS);
    const ranking = rankFiles(input);
    const best = order(ranking, input.paths);
    assert.deepEqual(new Set(best.slice(0, 3)), new Set(['README.md', 'package.json', 'src/index.ts']), best.join(', '));
    assert.deepEqual(new Set(best.slice(-2)), new Set(['test/client.test.ts', 'test/retry_policy.test.ts']), best.join(', '));
    // the most imported module comes before a file nobody imports
    assert.ok(best.indexOf('src/retry_policy.ts') < best.indexOf('foo/bar.ts'));
    assert.match(ranking.reason(input.paths.indexOf('README.md')), /entry point of the repository/);
    assert.match(ranking.reason(input.paths.indexOf('test/client.test.ts')), /test/);
  });

  it('is deterministic', () => {
    for (const question of [undefined, 'retry backoff', 'What does foo/bar.ts export?']) {
      const plain = (ranking: Ranking) => ({ ...ranking, reason: ranking.score.map((_, i) => ranking.reason(i)) });
      const first = plain(rankFiles(memInput(SMALL, SMALL_IMPORTS, question)));
      const second = plain(rankFiles(memInput(SMALL, SMALL_IMPORTS, question)));
      assert.deepEqual(second, first);
    }
  });

  it('takes questions in any script', () => {
    for (const question of ['重试退避是如何计算的？', 'Как работает повторная попытка?', 'مرحبا', '   ', '🙂 ??']) {
      const input = memInput(SMALL, SMALL_IMPORTS, question);
      const ranking = rankFiles(input);
      assert.equal(ranking.score.length, input.paths.length);
      assert.ok(ranking.score.every(Number.isFinite), question);
    }
    // Cyrillic words match Cyrillic text
    const input = memInput(SMALL, SMALL_IMPORTS, 'где стандартные заголовки?');
    assert.equal(order(rankFiles(input), input.paths)[0], 'src/headers.ts');
  });

  it('handles an empty repository and import cycles', () => {
    const empty = rankFiles({ paths: [], text: () => '', imports: [], question: 'anything' });
    assert.deepEqual([empty.score, empty.named], [[], []]);
    const cycle = memInput({ 'a.py': 'import b\n', 'b.py': 'import a\n' }, { 'a.py': ['b.py'], 'b.py': ['a.py'] });
    const ranking = rankFiles(cycle);
    assert.equal(ranking.score[0], ranking.score[1]);
  });
});

describe('ranking helpers', () => {
  it('splits words into camelCase/snake_case parts and stems them', () => {
    assert.deepEqual(wordTerms('maxRetryCount'), ['max', 'retri', 'count', 'maxretrycount']);
    assert.deepEqual(wordTerms('HTTPServer'), ['http', 'server', 'httpserver']);
    assert.deepEqual(wordTerms('get_or_create'), ['creat', 'get_or_create']);
    assert.deepEqual(questionTerms('How are retries done?').map((q) => q.term), ['retri']);
    assert.deepEqual(questionTerms('Как работает кэш?').map((q) => q.term), ['как', 'работает', 'кэш']);
  });

  it('finds entry points, tests, prose and generated files by path', () => {
    const paths = [
      'Cargo.toml', 'README.md', 'cmd/tool/main.go', 'crates/a/Cargo.toml', 'crates/a/src/lib.rs', 'docs/guide.md', 'examples/app/main.go',
      'go.mod', 'internal/x/x.go', 'mypkg/__init__.py', 'mypkg/sub/__init__.py', 'packages/p/package.json', 'packages/p/src/index.ts',
      'packages/p/src/util/index.ts', 'src/lib.rs', 'tests/__init__.py',
    ];
    const entries = entryPoints(paths);
    const kinds = Object.fromEntries(paths.map((p, i) => [p, entries.get(i) ?? null]));
    assert.deepEqual(kinds, {
      'Cargo.toml': 'root', 'README.md': 'root', 'cmd/tool/main.go': 'package', 'crates/a/Cargo.toml': 'package', 'crates/a/src/lib.rs': 'package',
      'docs/guide.md': null, 'examples/app/main.go': null, 'go.mod': 'root', 'internal/x/x.go': null, 'mypkg/__init__.py': 'root',
      'mypkg/sub/__init__.py': null, 'packages/p/package.json': 'package', 'packages/p/src/index.ts': 'package',
      'packages/p/src/util/index.ts': null, 'src/lib.rs': 'root', 'tests/__init__.py': null,
    });
    for (const p of ['test/a.py', 'src/__tests__/a.ts', 'a/fixtures/b.json', 'x.test.ts', 'pkg/x_test.go', 'examples/demo.js', 'Tests/Foo.cs', 'pkg/test_x.py', 'test_y.py', 'src/FooTest.java', 'a/b.snap', 'lib/Spec/x.rb']) assert.ok(isTestPath(p), p);
    for (const p of ['src/testing_utils_not.ts', 'src/contest.py', 'latest/a.go', 'src/attest/x.ts', 'src/test_helpers.ts', 'a.spec/b.ts', 'tests', 'src/mytest_x.py']) assert.ok(!isTestPath(p), p);
    assert.ok(isProse('docs/ref/models.txt') && isProse('CHANGELOG.md') && !isProse('docs/conf.py'));
    assert.ok(isGenerated('x.go', '// Code generated by protoc-gen-go. DO NOT EDIT.\npackage x') && isGenerated('src/generated/a.ts'));
    assert.ok(!isGenerated('paginator.py', 'class Paginator:\n    # Translators: String used to replace omitted page numbers in elided page\n    # range generated by paginators, e.g. [1, 2]\n'));
  });

  it('finds declared names per language, not in comments', () => {
    assert.deepEqual(declaredNames('a.py', 'class QuerySet:\n    def get_or_create(self):\n        pass\n    async def aget(self): pass\n# def not_this\n'), ['QuerySet', 'get_or_create', 'aget']);
    assert.deepEqual(
      declaredNames('a.ts', 'export default class Foo<T> {\n  private async parseThing(a: number): Promise<void> {\n  }\n  parseMulti(\n    a: number,\n  ): void {\n  }\n  call(\n    a,\n  );\n}\nexport const handler = async (req) => {};\n// a function that does\nexport type Id = string;\n'),
      ['Foo', 'Id', 'handler', 'parseThing', 'parseMulti'],
    );
    assert.deepEqual(declaredNames('a.go', 'func (s *Server) Serve() error {\n}\ntype Server struct {}\n'), ['Serve', 'Server']);
    assert.deepEqual(declaredNames('a.rs', 'pub fn run() {}\npub(crate) struct Foo;\n// fn not_this\n'), ['run', 'Foo']);
  });

  it('finds mentions of paths and code-style symbols in a question', () => {
    const mentions = findMentions('Why does QuerySet.get_or_create() use `atomic`, in django.db.models.query or query.py? On Node.js, the Parser class, TypeScript, parse(x).');
    assert.deepEqual(mentions.paths, ['django.db.models.query', 'query.py', 'Node.js']);
    assert.deepEqual(mentions.symbols, ['QuerySet', 'get_or_create', 'atomic', 'parse']);
  });
});

interface Question { repo: string; question: string; answers: string[] }

const QUESTIONS = JSON.parse(readFileSync(join(__dirname, 'retrieval', 'questions.json'), 'utf8')) as Question[];

/** 1-based rank of the best-placed answer under `score` (ties by path). */
function bestRank(score: readonly number[], paths: readonly string[], answers: readonly string[]): number {
  const ordered = rankedOrder(score, paths);
  const position = new Map(ordered.map((file, k) => [file, k + 1]));
  let best = Infinity;
  for (const answer of answers) {
    const i = paths.indexOf(answer);
    assert.ok(i >= 0, `answer ${answer} is not among the packed files`);
    best = Math.min(best, position.get(i)!);
  }
  return best;
}

const share = (ranks: number[], k: number): number => Math.round((ranks.filter((r) => r <= k).length / ranks.length) * 1000) / 1000;
/** Mean reciprocal rank of the best answer. */
const mrr = (ranks: number[]): number => Math.round((ranks.reduce((sum, r) => sum + 1 / r, 0) / ranks.length) * 1000) / 1000;

describe('retrieval on real repositories', () => {
  for (const repo of ['python-django', 'node-babel7']) {
    it(`${repo}: answers of ${QUESTIONS.filter((q) => q.repo === repo).length} questions, ours against plain BM25`, async () => {
      const questions = QUESTIONS.filter((q) => q.repo === repo);
      assert.ok(questions.length >= 12);
      const dir = corpusDir(repo);
      const { manifest } = await pack(dir, { cacheDir: null });
      const files = [...manifest.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const paths = files.map((f) => f.path);
      const index = new Map(paths.map((p, i) => [p, i]));
      const input = {
        paths,
        text: (i: number) => readFileSync(join(dir, paths[i]!), 'utf8'),
        imports: files.map((f) => f.imports.map((p) => index.get(p)!)),
      };

      // the time of one ranking from scratch (walk, centrality, index, question)
      let started = performance.now();
      rankFiles({ ...input, question: questions[0]!.question });
      const rankMs = Math.round(performance.now() - started);
      started = performance.now();
      const plainOrder = rankFiles(input);
      const noQuestionMs = Math.round(performance.now() - started);
      assert.equal(plainOrder.score.length, paths.length);

      const ranker = createRanker(input);
      const ours: number[] = [];
      const bm25: number[] = [];
      for (const q of questions) {
        ours.push(bestRank(ranker.rank(q.question).score, paths, q.answers));
        bm25.push(bestRank(ranker.bm25(q.question), paths, q.answers));
      }
      const result = {
        repo, files: paths.length, questions: questions.length,
        ours: { top10: share(ours, 10), top50: share(ours, 50), mrr: mrr(ours), ranks: ours },
        bm25: { top10: share(bm25, 10), top50: share(bm25, 50), mrr: mrr(bm25), ranks: bm25 },
        rankMs, noQuestionMs,
      };
      console.log(JSON.stringify(result));
      assert.ok(result.ours.top50 >= result.bm25.top50 - 0.1, 'our ranking should not lose to plain BM25 on the top 50');
    });
  }
});

describe('the lexical index (typed arrays, one binary buffer)', () => {
  // Each field's every term occurrence, as MiniSearch's own `add` would count them with our word splitting.
  const allTerms = (text: string): string[] => {
    const out: string[] = [];
    forEachWord(text, (word) => out.push(...wordTerms(word)));
    return out;
  };
  const BOOST = { path: 3, identifiers: 2, text: 1 };

  it('scores every question exactly as a MiniSearch filled with add() would, on a real repository (express)', async () => {
    const dir = corpusDir('node-express');
    const { manifest } = await pack(dir, { cacheDir: null });
    const paths = manifest.files.map((f) => f.path).sort();
    const texts = paths.map((p) => readFileSync(join(dir, p), 'utf8').slice(0, MAX_INDEXED_CHARS));
    const index = LexicalIndex.build({ paths, text: (i) => texts[i]! });
    const oracle = new MiniSearch({
      fields: ['path', 'identifiers', 'text'], tokenize: allTerms, processTerm: (term) => term,
      searchOptions: { tokenize: (q) => questionTerms(q).map((t) => t.term) },
    });
    oracle.addAll(paths.map((path, id) => ({ id, path, identifiers: declaredNames(path, texts[id]!).join(' '), text: texts[id] })));
    const questions = [
      ...QUESTIONS.map((q) => q.question),
      'How does the router match a path with parameters and call the next handler?',
      'Where are cookies signed when a response sets them?', 'res.sendFile', 'views engine render', 'ünïcödé 参数 路由',
    ];
    let compared = 0;
    for (const question of questions) {
      const ours = index.search(question, BOOST);
      const expected = oracle.search(question, { boost: BOOST, combineWith: 'OR', prefix: false, fuzzy: false });
      assert.equal(ours.length, expected.length, question);
      const byId = new Map(expected.map((r) => [r.id as number, r]));
      for (const result of ours) {
        const other = byId.get(result.id as number);
        assert.ok(other, `${question}: ${paths[result.id as number]} is not among MiniSearch's results`);
        assert.ok(Math.abs(result.score - other.score) <= 1e-9 * Math.max(1, other.score), `${question}: ${result.score} vs ${other.score}`);
        assert.deepEqual([...result.queryTerms].sort(), [...other.queryTerms].sort());
        compared++;
      }
    }
    assert.ok(compared > 1000, `compared ${compared} results`);
  });

  it('survives its binary form, refuses damaged bytes, and finds declared names', () => {
    const paths = Object.keys(SMALL).sort();
    const centrality = Float64Array.from(paths, (_, i) => i / 10);
    const index = LexicalIndex.build({ paths, text: (i) => SMALL[paths[i]!]! }, centrality);
    const bytes = index.toBytes();
    assert.deepEqual(LexicalIndex.fromBytes(bytes)!.centrality, centrality);
    assert.equal(LexicalIndex.fromBytes(LexicalIndex.build({ paths, text: (i) => SMALL[paths[i]!]! }).toBytes())!.centrality, undefined);
    const question = 'retry backoff for the HTTP client';
    const reloaded = LexicalIndex.fromBytes(bytes)!;
    assert.deepEqual(reloaded.search(question, BOOST), index.search(question, BOOST));
    assert.ok(index.search(question, BOOST).length > 0);
    assert.deepEqual(reloaded.declarers('RetryPolicy'), [paths.indexOf('src/retry_policy.ts')]);
    assert.deepEqual(reloaded.declarers('NoSuchName'), []);
    // A copy at an odd offset (views need alignment), a truncated copy, another format.
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    assert.deepEqual(LexicalIndex.fromBytes(shifted)!.search(question, BOOST), index.search(question, BOOST));
    assert.equal(LexicalIndex.fromBytes(bytes.subarray(0, bytes.length - 9)), undefined);
    assert.equal(LexicalIndex.fromBytes(bytes.subarray(0, 10)), undefined);
    const other = Buffer.from(bytes);
    other.writeUInt32LE(999, 4);
    assert.equal(LexicalIndex.fromBytes(other), undefined);
    assert.deepEqual(LexicalIndex.build({ paths: [], text: () => '' }).search(question, BOOST), []);
  });

  it('indexes a text cut inside a surrogate pair (at the indexed length) and finds its other terms', () => {
    const cut = 'x'.repeat(MAX_INDEXED_CHARS - 2) + ' 😀tail';
    const paths = ['a.txt', 'b.txt'];
    const texts = [cut, 'smile 😀 here'];
    const index = LexicalIndex.fromBytes(LexicalIndex.build({ paths, text: (i) => texts[i]! }).toBytes())!;
    assert.deepEqual(index.search('smile', BOOST).map((r) => r.id), [1]);
    assert.deepEqual(index.search('here', BOOST).map((r) => r.id), [1]);
  });
});

describe('building the lexical index without blocking', () => {
  const many = Array.from({ length: 2000 }, (_, i) => `src/module_${String(i).padStart(4, '0')}.ts`);
  const input = { paths: many, text: (i: number) => `export function handler${i}(request) { return retry(request, ${i}); }\n` };

  it('gives the same index as the blocking build, and lets timers run meanwhile', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const index = await LexicalIndex.buildAsync(input);
    clearInterval(timer);
    assert.ok(ticks > 0, 'the event loop never ran during the build');
    assert.deepEqual(index.toBytes(), LexicalIndex.build(input).toBytes());
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    setImmediate(() => controller.abort());
    await assert.rejects(LexicalIndex.buildAsync(input, undefined, controller.signal), CancelledError);
  });
});
