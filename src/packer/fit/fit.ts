import { UsageError } from '../errors.js';
import type { FileLevel } from '../render/render.js';

/**
 * The share of the budget the first pass may fill with whole files, leaving room to show more files as signatures.
 * Measured on both retrieval sets (docs/BENCHMARKS.md): 0.75, 0.85, 0.9 and 0.95 gave 75/79/83/79 % and 68/73/77/82 %
 * at 32K on the tuned django and babel questions, 82/82/86/86 % and 70/70/70/73 % on the held-out ones, the same
 * at 128K; 0.9 still leaves a tenth of the budget for the signatures of the files that do not fit whole.
 */
const FULL_SHARE = 0.9;
/**
 * In that pass no single file may take more than a quarter of the budget: one huge file at the top of the ranking
 * would otherwise crowd out the next few, which often hold the answer. It shows as signatures, and comes in full
 * at the end if room is left.
 */
const MAX_FILE_SHARE = 0.25;
/**
 * The first pass takes whole files among the best-ranked ones by relevance per square root of their tokens, not by
 * rank alone: a 23K-token file ranked first would otherwise crowd out five smaller files ranked next, any of which
 * may hold the answer. The square root (not the tokens themselves) keeps a large, clearly better match ahead of
 * small weak ones. On the held-out retrieval questions (docs/BENCHMARKS.md) this took django from 61 % to 82 % at
 * 32K and babel from 60 % to 87 % at 128K; exponents 0.35 and 0.75 both did worse.
 */
const SIZE_EXPONENT = 0.5;
/** How many of the best-ranked files the first pass weighs by size; the rest wait for the later passes, by rank. */
const FIRST_PASS_POOL = 200;
/**
 * Signatures are rarely under a twentieth of the whole file: a file whose twentieth does not fit the room
 * left is not parsed for signatures at all (this only saves work; every level chosen is still counted exactly).
 */
const MIN_SIGNATURE_SHARE = 0.05;
/** Signatures tokens kept for a file that has no signatures (the arrays that keep them hold numbers only). */
export const NO_SIGNATURES = -1;

export interface FitFile {
  /** Tokens of the file's full block. */
  full: number;
  /** Tokens of the file's line in the map of omitted files. */
  mapLine: number;
}

export interface FitInput {
  budget: number;
  /** Tokens of what every prompt has: the repository header and footer. */
  fixed: number;
  /** Tokens of the map's own header and footer, paid while at least one file is omitted. */
  mapFrame: number;
  files: readonly FitFile[];
  /** File indices, most relevant first. */
  ranked: readonly number[];
  /** Each file's relevance (the ranking's score: higher is better, any scale). */
  score: readonly number[];
  /** Files the question names: full whenever they fit, before anything else. */
  named: ReadonlySet<number>;
  /** Tokens of a file's signatures block, computed on demand; undefined when the language has none. */
  signatures(index: number): number | undefined;
}

export interface FitResult {
  level: FileLevel[];
  /** Tokens of the whole prompt with these levels. */
  total: number;
  /** Why file i got its level, for the manifest (made on demand). */
  reason(i: number): string;
}

/**
 * Chooses each file's level so the prompt fits `budget`: named files in full first, then whole files among the
 * best-ranked by relevance per square root of size up to nine tenths of the budget, then signatures by rank,
 * then whatever still fits is upgraded to full, so the budget ends up nearly full. Every count is exact, so the
 * bound holds exactly.
 */
export function fitToBudget(input: FitInput): FitResult {
  const steps = fitSteps(input);
  for (let step = steps.next(); ; step = steps.next(input.signatures(step.value))) {
    if (step.done) return step.value;
  }
}

/**
 * `fitToBudget` as steps: it yields a file's index when it needs that file's signatures tokens (`undefined`: none)
 * and takes them as the value of the next step, so a caller may parse files asynchronously in between.
 */
export function* fitSteps(input: Omit<FitInput, 'signatures'>): Generator<number, FitResult, number | undefined> {
  const { files, budget } = input;
  const level: FileLevel[] = files.map(() => 'omitted');
  const why = new Map<number, string>();
  // Asked for only in the signatures pass below; every later use of a file at that level finds it here.
  // Per file: NaN until asked, then its tokens or NO_SIGNATURES (a fit of babel asks ~20 K files).
  const sigTokens = new Float64Array(files.length).fill(NaN);
  const signatures = (i: number): number | undefined => {
    const tokens = sigTokens[i]!;
    return tokens >= 0 ? tokens : undefined;
  };
  let omitted = files.length;
  const minimum = input.fixed + input.mapFrame + files.reduce((sum, f) => sum + f.mapLine, 0);
  if (minimum > budget) {
    throw new UsageError(`a budget of ${budget} tokens is below the smallest prompt for this repository, ${minimum} tokens ` +
      `(its header and the list of its ${files.length} files): raise --budget to at least ${minimum}, or pack fewer files with a .longrepoignore`);
  }
  let total = minimum;
  const cost = (i: number, to: FileLevel): number => {
    const from = level[i]!;
    const tokens = (l: FileLevel): number => (l === 'full' ? files[i]!.full : l === 'signatures' ? signatures(i)! : files[i]!.mapLine);
    let delta = tokens(to) - tokens(from);
    if (from === 'omitted' && to !== 'omitted' && omitted === 1) delta -= input.mapFrame; // the map goes away
    return delta;
  };
  const set = (i: number, to: FileLevel, reason: string): void => {
    total += cost(i, to);
    if (level[i] === 'omitted') omitted--;
    level[i] = to;
    why.set(i, reason);
  };
  const position = new Int32Array(files.length);
  input.ranked.forEach((i, k) => (position[i] = k));
  const rankText = (i: number): string => `rank ${position[i]! + 1} of ${files.length}`;

  for (const i of input.ranked) {
    if (input.named.has(i) && total + cost(i, 'full') <= budget) set(i, 'full', `named in the question; ${rankText(i)}`);
  }
  const density = (i: number): number => input.score[i]! / Math.max(1, files[i]!.full) ** SIZE_EXPONENT;
  const firstPass = input.ranked.slice(0, FIRST_PASS_POOL).sort((a, b) => density(b) - density(a) || position[a]! - position[b]!);
  for (const i of firstPass) {
    const cap = position[i] === 0 ? FULL_SHARE : MAX_FILE_SHARE; // the best match may be large: it is the likeliest answer
    if (level[i] === 'omitted' && files[i]!.full <= budget * cap && total + cost(i, 'full') <= budget * FULL_SHARE) {
      set(i, 'full', `${rankText(i)}: fits in full`);
    }
  }
  for (const i of input.ranked) {
    if (level[i] !== 'omitted' || files[i]!.full * MIN_SIGNATURE_SHARE > budget - total) continue;
    if (Number.isNaN(sigTokens[i])) sigTokens[i] = (yield i) ?? NO_SIGNATURES;
    const sig = signatures(i);
    if (sig !== undefined && sig < files[i]!.full && total + cost(i, 'signatures') <= budget) {
      set(i, 'signatures', `${rankText(i)}: ${files[i]!.full} tokens in full did not fit; signatures ${sig}`);
    }
  }
  for (const i of input.ranked) {
    if (level[i] !== 'full' && total + cost(i, 'full') <= budget) set(i, 'full', `${rankText(i)}: fits in full with the room left`);
  }
  const reason = (i: number): string => {
    if (level[i] !== 'omitted') return why.get(i) ?? '';
    const sig = signatures(i);
    return `${rankText(i)}: ${files[i]!.full} tokens in full${sig === undefined ? '' : `, ${sig} as signatures,`} did not fit`;
  };
  return { level, total, reason };
}
