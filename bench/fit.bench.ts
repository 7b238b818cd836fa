// `npm run bench:fit`: what fitting a budget adds to a warm pack (issue goal: at most 20 %).
//
//   npm run build && npm run bench:fit -- [--repos python-django,node-babel7] [--runs 9] [--budgets 32k,128k]
//
// For each repository (a git checkout of a Debian source package, as in `npm run bench`), one cache is filled
// first: a whole pack, then one fitted pack per question and budget (this builds the lexical index and every
// considered file's signatures view, as earlier questions would have). Then, in each round, one process packs the
// repository whole and one per budget packs it fitted for that round's question (the first --runs questions of
// test/retrieval), so every fitted run ranks for a question and reads what it needs from the per-file cache. Every run is its own
// process under GNU time; the rounds alternate. Nine rounds by default: with five, a median moved by up to 0.2 s between
// two runs of the bench on this machine. Results: printed, and JSON in $LONGREPO_BENCH_DIR/results/fit.json.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, checkGnuTime, fail, fetchCorpus, medianCpu, medianSeconds, okRuns, ROOT, snapshotBuild, timed, untimed, type Command, type RunResult } from './common.js';

const GOAL = 1.2;

interface Question { repo: string; question: string }

function parseOptions(argv: string[]): { repos: string[]; runs: number; budgets: number[] } {
  const { values } = parseArgs({
    args: argv,
    options: { repos: { type: 'string', default: 'python-django,node-babel7' }, runs: { type: 'string', default: '9' }, budgets: { type: 'string', default: '32k,128k' } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) fail(`--runs wants a whole number ≥ 1, not ${values.runs}`);
  const budgets = values.budgets.split(',').map((b) => {
    const match = /^(\d+)(k?)$/i.exec(b.trim());
    if (!match) fail(`--budgets wants token counts like 32k,128k, not ${b}`);
    return Number(match[1]) * (match[2] ? 1000 : 1);
  });
  return { repos: values.repos.split(',').filter(Boolean), runs, budgets };
}

function questionsOf(repo: string): string[] {
  const sets = ['questions.json', 'heldout.json'].map((f) => JSON.parse(readFileSync(join(ROOT, 'test', 'retrieval', f), 'utf8')) as Question[]);
  const asked = sets.flat().filter((q) => q.repo === repo).map((q) => q.question);
  if (asked.length === 0) fail(`no questions for ${repo} in test/retrieval`);
  return asked;
}

const mib = (runs: RunResult[]): number => Math.max(...okRuns(runs).map((r) => r.maxRssKiB / 1024));

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  checkGnuTime();
  const { cliJs } = await snapshotBuild();
  const dirs = fetchCorpus(options.repos, true);
  const scratch = mkdtempSync(join(BENCH_DIR, 'fit-'));
  const rows: Record<string, unknown>[] = [];
  for (const [k, repo] of options.repos.entries()) {
    const dir = dirs[k]!;
    const cacheDir = join(scratch, repo);
    const questions = questionsOf(repo).slice(0, options.runs);
    const command = (budget?: number, question?: string): Command => ({
      argv: [process.execPath, cliJs, 'pack', dir, '-o', join(scratch, 'prompt.txt'), '-q',
        ...(budget ? ['--budget', String(budget), '--question', question!] : [])],
      env: { LONGREPO_CACHE_DIR: cacheDir }, cwd: scratch,
    });
    console.log(`${repo}: filling the cache (a whole pack, then ${questions.length} questions × ${options.budgets.length} budgets) …`);
    untimed(command());
    const first = await timed(command(options.budgets[0], questions[0]), scratch); // builds the lexical index
    for (const budget of options.budgets) for (const question of questions) untimed(command(budget, question));

    const whole: RunResult[] = [];
    const fitted = new Map<number, RunResult[]>(options.budgets.map((b) => [b, []]));
    for (let round = 0; round < options.runs; round++) {
      whole.push(await timed(command(), scratch));
      for (const budget of options.budgets) fitted.get(budget)!.push(await timed(command(budget, questions[round % questions.length]), scratch));
    }
    const failed = [whole, ...fitted.values()].flat().find((r) => !r.ok);
    if (failed) fail(`${repo}: a run failed: ${failed.error}`);
    for (const budget of options.budgets) {
      const runs = fitted.get(budget)!;
      const row = {
        repo, budget, wholeSeconds: medianSeconds(whole), fittedSeconds: medianSeconds(runs), ratio: medianSeconds(runs) / medianSeconds(whole),
        wholeCpu: medianCpu(whole), fittedCpu: medianCpu(runs), cpuRatio: medianCpu(runs) / medianCpu(whole), wholeMiB: mib(whole), fittedMiB: mib(runs),
        firstFittedSeconds: budget === options.budgets[0] ? first.seconds : undefined, runs,
      };
      rows.push(row);
      console.log(`  budget ${budget}: whole ${row.wholeSeconds.toFixed(2)} s, fitted ${row.fittedSeconds.toFixed(2)} s → ×${row.ratio.toFixed(2)} ` +
        `(goal ≤ ×${GOAL}: ${row.ratio <= GOAL ? 'met' : 'MISSED'}); CPU ×${row.cpuRatio.toFixed(2)}; peak ${row.wholeMiB.toFixed(0)} / ${row.fittedMiB.toFixed(0)} MiB` +
        (row.firstFittedSeconds ? `; the first fitted pack (builds the index) ${row.firstFittedSeconds.toFixed(2)} s` : ''));
    }
  }
  console.log('\n| repository | budget | warm whole s | warm fitted s | fitted / whole (goal ≤ 1.2) | CPU ratio | peak MiB whole / fitted |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows as { repo: string; budget: number; wholeSeconds: number; fittedSeconds: number; ratio: number; cpuRatio: number; wholeMiB: number; fittedMiB: number }[]) {
    console.log(`| ${r.repo} | ${r.budget / 1000}K | ${r.wholeSeconds.toFixed(2)} | ${r.fittedSeconds.toFixed(2)} | ${r.ratio.toFixed(2)} | ${r.cpuRatio.toFixed(2)} | ${r.wholeMiB.toFixed(0)} / ${r.fittedMiB.toFixed(0)} |`);
  }
  const out = join(BENCH_DIR, 'results', 'fit.json');
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), options, rows }, null, 2) + '\n');
  rmSync(scratch, { recursive: true, force: true });
  console.log(`\nresults: ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
