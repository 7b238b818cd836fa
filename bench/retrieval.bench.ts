// `npm run bench:retrieval`: does budget fitting keep the files that answer a question?
//
// For each question of test/retrieval/questions.json (the set the ranking's weights were set on) and of
// test/retrieval/heldout.json (written later, without looking at the ranker: the honest measure) — written the way
// developers ask, each with the files that answer it — the repository is packed at budgets of 32K and 128K tokens; a question is a hit when an answering
// file comes in full. The same measure is computed in the same run for two baselines given the same room for
// whole files: files in plain BM25 order (BM25+ over the ranker's own index: paths with their package's
// description, identifiers and text; no graph), and in a seeded random order. Results are printed and written to
// $LONGREPO_BENCH_DIR/results/retrieval.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededShuffle } from '../src/packer/order/order.js';
import { pack } from '../src/packer/pack.js';
import { createRanker } from '../src/packer/rank/rank.js';
import { BENCH_DIR, ROOT } from './common.js';

const SETS = { tuned: 'questions.json', 'held-out': 'heldout.json' };
const BUDGETS = [32_000, 128_000];

interface Question {
  set: string;
  repo: string;
  question: string;
  answers: string[];
}

function corpus(pkg: string): string {
  return execFileSync('bash', [join(ROOT, 'scripts', 'fetch-corpus.sh'), pkg], { encoding: 'utf8' }).trim().split('\n').pop()!;
}

/** Whole files in `order` while they fit `room`: the baselines' prompt. */
function fill(order: readonly number[], tokens: readonly number[], room: number): Set<number> {
  const taken = new Set<number>();
  let used = 0;
  for (const i of order) {
    if (used + tokens[i]! <= room) {
      taken.add(i);
      used += tokens[i]!;
    }
  }
  return taken;
}

async function main(): Promise<void> {
  const questions = Object.entries(SETS).flatMap(([set, file]) =>
    (JSON.parse(readFileSync(join(ROOT, 'test', 'retrieval', file), 'utf8')) as Question[]).map((q) => ({ ...q, set })));
  const repos = [...new Set(questions.map((q) => q.repo))];
  const results: Record<string, unknown>[] = [];
  for (const repo of repos) {
    const dir = corpus(repo);
    const cacheDir = join(BENCH_DIR, 'retrieval-cache');
    const whole = await pack(dir, { cacheDir });
    const files = [...whole.manifest.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const index = new Map(files.map((f, i) => [f.path, i]));
    const tokens = files.map((f) => f.tokens);
    const ranker = createRanker({
      paths: files.map((f) => f.path),
      text: (i) => readFileSync(join(dir, files[i]!.path), 'utf8'),
      imports: files.map((f) => f.imports.map((p) => index.get(p)!)),
    });
    for (const [set, budget] of Object.keys(SETS).flatMap((set) => BUDGETS.map((b) => [set, b] as const))) {
      const asked = questions.filter((q) => q.repo === repo && q.set === set);
      let ours = 0;
      let bm25 = 0;
      let random = 0;
      const misses: string[] = [];
      const started = Date.now();
      for (const q of asked) {
        const answers = q.answers.map((a) => index.get(a));
        if (answers.some((a) => a === undefined)) throw new Error(`${repo}: an answer of "${q.question}" is not a packed file: ${q.answers.join(', ')}`);
        const fitted = await pack(dir, { budget, question: q.question, cacheDir });
        const full = new Set(fitted.manifest.files.filter((f) => f.level === 'full').map((f) => f.path));
        if (q.answers.some((a) => full.has(a))) ours++;
        else misses.push(q.question);
        // The baselines get the room ours had for file blocks (the budget less header, footer and the list of files not shown).
        const frame = fitted.manifest.totalTokens - fitted.manifest.files.reduce((sum, f) => sum + (f.level === 'omitted' ? 0 : f.tokens), 0);
        const blockRoom = budget - frame;
        const scores = ranker.bm25(q.question);
        const byBm25 = files.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
        if (answers.some((a) => fill(byBm25, tokens, blockRoom).has(a!))) bm25++;
        const shuffled = seededShuffle(files.map((_, i) => i), q.question);
        if (answers.some((a) => fill(shuffled, tokens, blockRoom).has(a!))) random++;
      }
      const n = asked.length;
      const row = { repo, set, budget, questions: n, ours: ours / n, bm25: bm25 / n, random: random / n, secondsPerQuestion: (Date.now() - started) / 1000 / n, misses };
      results.push(row);
      console.log(`${repo} (${set}) @ ${budget / 1000}K: ours ${(100 * row.ours).toFixed(0)} %, plain BM25 ${(100 * row.bm25).toFixed(0)} %, random ${(100 * row.random).toFixed(0)} % ` +
        `(${n} questions, ${row.secondsPerQuestion.toFixed(1)} s per pack)`);
    }
  }
  const out = join(BENCH_DIR, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'retrieval.json'), JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + '\n');
  console.log(`\nresults: ${join(out, 'retrieval.json')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
