// What the benchmarks share: the corpus as git checkouts, a snapshot of the build, and runs measured one process
// at a time under GNU time on a quiet machine.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_DIR = resolve(process.env.LONGREPO_BENCH_DIR ?? join(homedir(), '.cache', 'longrepo-bench'));
const GNU_TIME = '/usr/bin/time';
const RUN_TIMEOUT_MS = 10 * 60 * 1000;

interface Measurement {
  seconds: number;
  maxRssKiB: number;
  /** user + system CPU seconds of the run (its threads and waited-for children). */
  cpuSeconds: number;
  /** Share of the machine's CPU that other processes used while this run was going (0–1), from /proc/stat. */
  othersCpuShare: number;
}

export interface RunResult extends Measurement {
  ok: boolean;
  error?: string;
}

export function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

export function sh(command: string, args: string[], opts: { cwd?: string; inherit?: boolean } = {}): string {
  const result = spawnSync(command, args, {
    cwd: opts.cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', opts.inherit ? 'inherit' : 'pipe'],
  });
  if (result.error) fail(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited ${result.status}\n${result.stderr ?? ''}`);
  return result.stdout;
}

export function checkGnuTime(): string {
  const probe = spawnSync(GNU_TIME, ['--version'], { encoding: 'utf8' });
  const text = `${probe.stdout ?? ''}${probe.stderr ?? ''}`;
  if (probe.error || !/GNU/.test(text)) {
    fail(`GNU time is needed at ${GNU_TIME} to measure wall time and peak memory (max RSS).\n` +
      '       Install it with: apt-get install time   (the Debian package is named "time")');
  }
  return `GNU time (${GNU_TIME})`;
}

/**
 * Copies dist/ aside so that a rebuild by someone else mid-bench cannot change or delete what we measure.
 * Waits up to two minutes for a build that is missing or still being written (the build script empties dist/ first).
 */
export async function snapshotBuild(): Promise<{ cliJs: string; builtAt: string }> {
  const dist = join(ROOT, 'dist');
  const cli = join(dist, 'cli.js');
  const stamp = (): string => [cli, join(dist, 'worker.js')].map((f) => (existsSync(f) ? `${statSync(f).size}:${statSync(f).mtimeMs}` : '-')).join(' ');
  for (let waited = 0; ; waited += 5000) {
    const before = stamp();
    if (!before.includes('-')) {
      await sleep(2000);
      if (stamp() === before) break;
    }
    if (waited >= 120_000) fail(`no finished build at ${cli}: run \`npm run build\` first`);
    if (waited === 0) console.log(`waiting for a build at ${cli} (npm run build) …`);
    await sleep(5000);
  }
  const builtAt = statSync(cli).mtime.toISOString();
  const snapshot = join(BENCH_DIR, 'longrepo-dist');
  rmSync(snapshot, { recursive: true, force: true });
  mkdirSync(snapshot, { recursive: true });
  cpSync(dist, snapshot, { recursive: true }); // with dist/ranks/, the tokenizers' rank tables
  return { cliJs: join(snapshot, 'cli.js'), builtAt };
}

export function fetchCorpus(packages: string[], git: boolean): string[] {
  console.log(`fetching corpus: ${packages.join(' ')} (cached after the first time) …`);
  const dirs = sh('bash', [join(ROOT, 'scripts', 'fetch-corpus.sh'), ...packages], { inherit: true }).trim().split('\n');
  if (dirs.length !== packages.length) fail(`fetch-corpus.sh printed ${dirs.length} directories for ${packages.length} packages`);
  return git ? dirs.map((dir, i) => gitCheckout(packages[i]!, dir)) : dirs;
}

/** A git checkout of an unpacked tree (one commit), made once in the bench dir: the repositories users pack are git checkouts. */
function gitCheckout(pkg: string, dir: string): string {
  const checkout = join(BENCH_DIR, 'repos', pkg, basename(dir));
  if (existsSync(join(checkout, '.git', 'longrepo-bench-complete'))) return checkout;
  console.log(`importing ${dir} into a git repository at ${checkout} …`);
  rmSync(join(BENCH_DIR, 'repos', pkg), { recursive: true, force: true });
  mkdirSync(dirname(checkout), { recursive: true });
  cpSync(dir, checkout, { recursive: true });
  const git = (...args: string[]): string => sh('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], { cwd: checkout });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', `import ${basename(dir)}`);
  writeFileSync(join(checkout, '.git', 'longrepo-bench-complete'), '');
  return checkout;
}

export interface Command {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Busy and total CPU seconds of the whole machine so far, from the first line of /proc/stat (USER_HZ = 100). */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / 100, total: (busy + idle + iowait) / 100 };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (up to 10 s) until other processes use under a quarter of the machine, so runs are not measured under load. */
export async function waitForQuiet(): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 500) {
    const before = machineCpu();
    await sleep(500);
    const after = machineCpu();
    const share = (after.busy - before.busy) / Math.max(1e-9, after.total - before.total);
    if (share < 0.25) return;
    if (waited === 0) process.stdout.write(`  (machine busy: ${(share * 100).toFixed(0)}% CPU used by others; waiting up to 10 s)\n`);
  }
}

/** Runs one command under GNU time: `%e` wall seconds, `%M` max RSS in KiB (threads included), `%U %S` CPU seconds. */
export async function timed(command: Command, scratch: string): Promise<RunResult> {
  await waitForQuiet();
  const timeFile = join(scratch, `time-${process.hrtime.bigint()}.txt`);
  const cpuBefore = machineCpu();
  return new Promise((resolvePromise) => {
    const child = spawn(GNU_TIME, ['-f', '%e %M %U %S', '-o', timeFile, ...command.argv], {
      cwd: command.cwd, env: { ...process.env, ...command.env }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const cpuAfter = machineCpu();
      let seconds = NaN;
      let maxRssKiB = NaN;
      let cpuSeconds = NaN;
      try {
        // The last line: on failure GNU time writes "Command exited with non-zero status N" first.
        const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
        const [e, m, u, sys] = last.split(/\s+/).map(Number);
        seconds = e ?? NaN;
        maxRssKiB = m ?? NaN;
        cpuSeconds = Math.round(((u ?? NaN) + (sys ?? NaN)) * 100) / 100;
      } catch { /* no time file: the run was killed */ }
      rmSync(timeFile, { force: true });
      const capacity = Math.max(1e-9, cpuAfter.total - cpuBefore.total);
      const othersCpuShare = Math.max(0, (cpuAfter.busy - cpuBefore.busy - (Number.isFinite(cpuSeconds) ? cpuSeconds : 0)) / capacity);
      const ok = code === 0 && Number.isFinite(seconds) && Number.isFinite(maxRssKiB);
      const error = ok ? undefined : `exit ${code ?? signal}${signal === 'SIGKILL' ? ' (timed out)' : ''}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`;
      resolvePromise({ ok, error, seconds, maxRssKiB, cpuSeconds, othersCpuShare });
    });
  });
}

export function untimed(command: Command): string {
  const result = spawnSync(command.argv[0] ?? '', command.argv.slice(1), {
    cwd: command.cwd, env: { ...process.env, ...command.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const okRuns = (runs: RunResult[]): RunResult[] => runs.filter((r) => r.ok);
export const medianSeconds = (runs: RunResult[]): number => median(okRuns(runs).map((r) => r.seconds));
export const medianCpu = (runs: RunResult[]): number => median(okRuns(runs).map((r) => r.cpuSeconds));
export const medianMiB = (runs: RunResult[]): number => median(okRuns(runs).map((r) => r.maxRssKiB / 1024));
