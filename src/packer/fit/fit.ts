import { UsageError } from '../errors.js';
import type { FileLevel } from '../render/render.js';

/** The share of the budget the first pass may fill with whole files, leaving room to show more files as signatures. */
const FULL_SHARE = 0.75;
/**
 * In that pass no single file may take more than a quarter of the budget: one huge file at the top of the ranking
 * would otherwise crowd out the next few, which often hold the answer. It shows as signatures, and comes in full
 * at the end if room is left.
 */
const MAX_FILE_SHARE = 0.25;
/**
 * Signatures are rarely under a twentieth of the whole file: a file whose twentieth does not fit the room
 * left is not parsed for signatures at all (this only saves work; every level chosen is still counted exactly).
 */
const MIN_SIGNATURE_SHARE = 0.05;

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
 * Chooses each file's level so the prompt fits `budget`: named files in full first, then whole files by
 * rank up to three quarters of the budget, then signatures by rank, then whatever still fits is upgraded
 * to full, so the budget ends up nearly full. Every count is exact, so the bound holds exactly.
 */
export function fitToBudget(input: FitInput): FitResult {
  const { files, budget } = input;
  const level: FileLevel[] = files.map(() => 'omitted');
  const why = new Map<number, string>();
  const sigTokens = new Map<number, number | undefined>();
  const signatures = (i: number): number | undefined => {
    if (!sigTokens.has(i)) sigTokens.set(i, input.signatures(i));
    return sigTokens.get(i);
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
  input.ranked.forEach((i, k) => {
    const cap = k === 0 ? FULL_SHARE : MAX_FILE_SHARE; // the best match may be large: it is the likeliest answer
    if (level[i] === 'omitted' && files[i]!.full <= budget * cap && total + cost(i, 'full') <= budget * FULL_SHARE) {
      set(i, 'full', `${rankText(i)}: fits in full`);
    }
  });
  for (const i of input.ranked) {
    if (level[i] !== 'omitted' || files[i]!.full * MIN_SIGNATURE_SHARE > budget - total) continue;
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
    const sig = sigTokens.get(i);
    return `${rankText(i)}: ${files[i]!.full} tokens in full${sig === undefined ? '' : `, ${sig} as signatures,`} did not fit`;
  };
  return { level, total, reason };
}
