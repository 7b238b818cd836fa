import { throwIfCancelled, UsageError } from '../errors.js';
import type { DependencyGraph } from '../graph/graph.js';
import { rankFilesAsync, type LexicalIndexCache, type Ranking } from '../rank/rank.js';
import {
  renderFileBlock, renderMapFooter, renderMapHeader, renderMapLine, type Elision, type FileLevel, type RenderSettings,
} from '../render/render.js';
import { initSignatures, signatureElisions } from '../signatures/signatures.js';
import type { TokenizerChoice } from '../tokens/tokenizer.js';
import type { LanguageId } from '../types.js';
import { fitSteps, NO_SIGNATURES } from './fit.js';
import { mapEntries, maxDepth } from './repoMap.js';

/** What `knownSignatures` says of a file whose signatures view is not known yet. */
const NOT_KNOWN = Symbol('not known');

/** Files parsed for signatures between two turns of the event loop. */
const PARSES_PER_TURN = 20;

/** The list of files not shown may take up to a tenth of the budget; deeper directories are then counted, not listed. */
const MAP_SHARE = 0.1;

export interface FitRepositoryInput {
  analysed: readonly { path: string; readonly text: string; lines: number; language: LanguageId }[];
  graph: DependencyGraph;
  /** Tokens of each file's full block. */
  fullTokens: readonly number[];
  /** Tokens of the repository header and footer. */
  fixedTokens: number;
  budget: number;
  question?: string;
  /** The ranking of exactly these files for the question, if made ahead: it is not made again. */
  ranking?: Ranking;
  settings: RenderSettings;
  tokenizer: TokenizerChoice;
  signal?: AbortSignal;
  /** Where the ranking's lexical index of these exact files is kept between packs. */
  lexicalCache?: LexicalIndexCache;
  /** Each file's signatures view (elided lines and tokens) from earlier packs: parsing is the costly part of fitting. */
  signatureCache?: SignatureCache;
  /**
   * The depth of the list of files not shown found by an earlier pack of these exact files at this budget and these
   * settings: it depends on every path but not on the question, and finding it costs the list at several depths.
   */
  mapDepthCache?: { get(): number | undefined; set(depth: number): void };
  /** Tokens of a small prompt piece (a line of the list of omitted files), from a cache of counts when there is one. */
  countPiece?: (text: string) => number;
}

/** A file's signatures view as cached: `null` when the file has none (no grammar, or nothing to elide). */
export interface SignatureView {
  /** The elided line ranges as a flat list, start and end of each (read only for files shown so). */
  readonly elided: readonly number[];
  tokens: number;
}

export interface SignatureCache {
  get(index: number): SignatureView | null | undefined;
  set(index: number, view: SignatureView | null): void;
}

export interface FitOutcome {
  level: FileLevel[];
  /** Tokens each file costs at its level (an omitted file: its line in the list of files not shown). */
  tokens: number[];
  total: number;
  /** 1 = most relevant. */
  rank: number[];
  /** Why file i got its level and rank, for the manifest (made on demand). */
  reason(i: number): string;
  /** The elided ranges of each file shown as signatures. */
  elisions: Map<number, Elision[]>;
  /** The depth of the list of files not shown (see `mapLines`). */
  mapDepth: number;
}

/** Ranks the files for the question and chooses each one's level so the whole prompt fits the budget. */
export async function fitRepository(input: FitRepositoryInput): Promise<FitOutcome> {
  const { analysed, graph, settings, tokenizer } = input;
  if (!tokenizer.additive) {
    throw new UsageError(`fitting a budget counts the prompt piece by piece, which ${tokenizer.id} does not allow: ` +
      'use --tokenizer cl100k, o200k or a byte-level BPE tokenizer.json, or drop --budget');
  }
  throwIfCancelled(input.signal);
  const ranking = input.ranking ?? await rankFilesAsync({ paths: graph.paths, text: (i) => analysed[i]!.text, imports: graph.imports, question: input.question }, input.lexicalCache, input.signal);
  // Paths are sorted (discovery's byte order), so ties broken by index are broken by path.
  const ranked = analysed.map((_, i) => i).sort((a, b) => ranking.score[b]! - ranking.score[a]! || a - b);
  const rank: number[] = new Array(analysed.length);
  ranked.forEach((i, k) => (rank[i] = k + 1));
  throwIfCancelled(input.signal);

  // The rank tables load only when something is not counted yet (a warm pack finds every count cached).
  let counter: { count(text: string): number } | undefined;
  const count = (text: string): number => (counter ??= tokenizer.load()).count(text);
  const countPiece = input.countPiece ?? count;
  const paths = analysed.map((file) => file.path);
  const frame = countPiece(renderMapHeader(settings)) + countPiece(renderMapFooter(settings));
  /** Tokens of the list of files not shown at a depth; counting stops once past `limit` (the answer is then > limit). */
  const mapCost = (omittedPaths: readonly string[], depth: number, limit = Infinity): number => {
    if (omittedPaths.length === 0) return 0;
    let cost = frame;
    for (const line of mapEntries(omittedPaths, depth)) {
      cost += countPiece(renderMapLine(line, settings));
      if (cost > limit) break;
    }
    return cost;
  };
  // The deepest listing that takes at most a tenth of the budget; directories are counted below that depth.
  // A deeper listing never costs less, so a binary search finds it.
  const mapLimit = input.budget * MAP_SHARE;
  const costAtDepth = new Map<number, number>(); // of every path, by depth (the search's last probe is the answer)
  const known = input.mapDepthCache?.get();
  let depth = known ?? 0;
  for (let low = 1, high = known === undefined ? maxDepth(paths) : 0; low <= high;) {
    const middle = (low + high) >> 1;
    const cost = mapCost(paths, middle, mapLimit);
    costAtDepth.set(middle, cost);
    if (cost <= mapLimit) {
      depth = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  const reserved = costAtDepth.get(depth) ?? mapCost(paths, depth);
  if (known === undefined) input.mapDepthCache?.set(depth);

  // Per file, as far as known: its view (its elided lines are read only for the files shown so), its tokens (NaN:
  // not known yet; NO_SIGNATURES: it has none). Arrays, not maps: a fit of babel looks at ~20 K files.
  const views: (SignatureView | undefined)[] = new Array<SignatureView | undefined>(analysed.length);
  const signatureTokens = new Float64Array(analysed.length).fill(NaN);
  // A file's signatures view comes from the cache, or is parsed here: the grammars load at the first file not
  // cached, and every few files parsed the event loop runs (a first fit may parse for seconds; Ctrl-C and the
  // extension host must not wait for it).
  let parserReady = false;
  let parsed = 0;
  const keep = (i: number, view: SignatureView | null): number | undefined => {
    if (view) views[i] = view;
    signatureTokens[i] = view ? view.tokens : NO_SIGNATURES;
    return view?.tokens;
  };
  /** The tokens of file i's signatures from what is known (undefined: it has none), or NOT_KNOWN: it must be parsed. */
  const knownSignatures = (i: number): number | undefined | typeof NOT_KNOWN => {
    const tokens = signatureTokens[i]!;
    if (tokens === NO_SIGNATURES) return undefined;
    if (!Number.isNaN(tokens)) return tokens;
    const view = input.signatureCache?.get(i);
    return view === undefined ? NOT_KNOWN : keep(i, view);
  };
  /** Parses file i for its signatures view (after `knownSignatures` said NOT_KNOWN) and keeps it. */
  const parseSignatures = async (i: number): Promise<number | undefined> => {
    if (!parserReady) {
      await initSignatures();
      parserReady = true;
    }
    if (++parsed % PARSES_PER_TURN === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      throwIfCancelled(input.signal);
    }
    const file = analysed[i]!;
    const found = signatureElisions(file.language, file.text);
    const view: SignatureView | null = found && found.length > 0
      ? { elided: found.flatMap((e) => [e.start, e.end]), tokens: count(renderFileBlock({ path: file.path, text: file.text, lines: file.lines, level: 'signatures', elisions: found }, settings)) }
      : null;
    input.signatureCache?.set(i, view);
    return keep(i, view);
  };
  // The map shrinks as files leave it, so fitting against its all-files size keeps the bound; the room it
  // frees is filled afterwards.
  const steps = fitSteps({
    budget: input.budget, fixed: input.fixedTokens, mapFrame: reserved,
    files: analysed.map((_, i) => ({ full: input.fullTokens[i]!, mapLine: 0 })), ranked, score: ranking.score, named: new Set(ranking.named),
  });
  // Most views are known (cached): only a file to parse waits (thousands of awaits cost more than the lookups).
  let step = steps.next();
  while (!step.done) {
    const known = knownSignatures(step.value);
    step = steps.next(known !== NOT_KNOWN ? known : await parseSignatures(step.value));
  }
  const fit = step.value;
  const level = fit.level;
  const blockTokens = (i: number): number => (level[i] === 'full' ? input.fullTokens[i]! : level[i] === 'signatures' ? signatureTokens[i]! : 0);
  const omittedPaths = (): string[] => paths.filter((_, i) => level[i] === 'omitted');
  const exactTotal = (): number => input.fixedTokens + mapCost(omittedPaths(), depth) + level.reduce((sum, _, i) => sum + blockTokens(i), 0);
  let total = exactTotal();
  const upgraded = new Map<number, string>();
  for (const i of ranked) {
    const room = input.budget - total;
    if (level[i] === 'full' || room <= 0) continue;
    const full = input.fullTokens[i]!;
    if (full - blockTokens(i) <= room) {
      total += full - blockTokens(i);
      level[i] = 'full';
      upgraded.set(i, `rank ${rank[i]} of ${analysed.length}: fits in full with the room the shorter list left`);
    } else if (level[i] === 'omitted' && full * 0.05 <= room) {
      const known = knownSignatures(i);
      const sig = known !== NOT_KNOWN ? known : await parseSignatures(i);
      if (sig !== undefined && sig <= room) {
        total += sig;
        level[i] = 'signatures';
        upgraded.set(i, `rank ${rank[i]} of ${analysed.length}: signatures fit in the room the shorter list left`);
      }
    }
  }
  if (upgraded.size > 0) total = exactTotal(); // the list of files not shown changed
  const tokens = level.map((_, i) => blockTokens(i));
  const reason = (i: number): string => {
    const why = upgraded.get(i) ?? fit.reason(i);
    const ranked = ranking.reason(i);
    return ranked ? `${why} (${ranked})` : why;
  };
  const elisions = new Map<number, Elision[]>();
  for (let i = 0; i < level.length; i++) {
    const view = views[i];
    if (level[i] !== 'signatures' || !view) continue;
    const flat = view.elided;
    const ranges: Elision[] = [];
    for (let k = 0; k < flat.length; k += 2) ranges.push({ start: flat[k]!, end: flat[k + 1]! });
    elisions.set(i, ranges);
  }
  return { level, tokens, total, rank, reason, elisions, mapDepth: depth };
}

