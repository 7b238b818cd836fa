/**
 * Ranks the files of a repository for a question (or without one), to decide which files a token budget keeps
 * in full, which as signatures and which it leaves out.
 *
 * With a question: BM25 over three fields (path words with the package's description, declared identifiers, text)
 * seeds a personalised PageRank over the dependency graph, so the files that matching files depend on, and that
 * depend on them, rise too; a strong lexical match stays on top. Without one: PageRank centrality, entry points
 * boosted, tests lowered.
 */
import { findMentions, namedFiles } from './named.js';
import { buildWalk, pageRank, type Walk } from './pagerank.js';
import { entryPoints, isGenerated, isProse, isTestPath, type EntryKind } from './paths.js';
import { LexicalIndex, type IndexInput } from './lexicalIndex.js';
import { packageDescriptions } from './packages.js';
import { questionTerms } from './terms.js';

export interface RankInput {
  /** Repository-relative paths, sorted. */
  paths: readonly string[];
  /** File text (may be read lazily); read only when there is a question. */
  text(i: number): string;
  /** imports[i] = indices file i imports (DependencyGraph.imports). */
  imports: readonly (readonly number[])[];
  /** Any language or script. */
  question?: string;
}

export interface Ranking {
  /** Per file, higher = more relevant; deterministic. */
  score: number[];
  /** A short human reason for file i's score (made on demand: most of a large repository's are never read). */
  reason(i: number): string;
  /** Files the question names by path, file name or a symbol they declare, best first. */
  named: number[];
}

// ---- weights: with a question ----
/** Path words and the package's description are few and chosen by people: a match there says most about what a file is for. */
export const PATH_BOOST = 3;
/** Declared names are the file's own vocabulary, sharper than every word it merely uses. */
export const IDENTIFIERS_BOOST = 2;
/** Full text: comments, strings and every identifier used; the broadest and noisiest field. */
export const TEXT_BOOST = 1;
/** Lexical relevance (BM25 over its maximum, 0..1) counts fully: the best match must stay on top. */
export const LEXICAL_WEIGHT = 1;
/**
 * Graph relevance (personalised PageRank over its maximum, 0..1) at half: it lifts what matches depend on above files
 * that merely mention a question word, while a file needs half the best BM25 score to pass the best match.
 */
export const GRAPH_WEIGHT = 0.5;
/** Question-free centrality, a small share: orders the files the question does not reach by their importance. */
export const CENTRALITY_WEIGHT = 0.05;
/** Files with the best BM25 scores that seed the personalised PageRank; weaker matches are mostly noise. */
export const SEED_COUNT = 50;
/** Tests and fixtures with a question: they often repeat the question's words, but rarely hold the answer. */
export const TEST_FACTOR_WITH_QUESTION = 0.5;
/** Prose (docs, .md, .txt) with a question: it describes behaviour in the question's own words, but the code decides it. */
export const PROSE_FACTOR_WITH_QUESTION = 0.75;
/** Generated code (`generated/` folders, "@generated"/"do not edit" headers): huge, repetitive, written by no one to read. */
export const GENERATED_FACTOR = 0.5;
/** Added to named files: the question points at them, so they lead the ranking. */
export const NAMED_BONUS = 2;
// ---- weights: without a question ----
/** Added to the repository's own README, manifests and main modules: above 1 + PACKAGE_ENTRY_BOOST, so they lead. */
export const ROOT_ENTRY_BOOST = 1.5;
/** Added to a package's README, manifest and main module in a monorepo: the map of each package. */
export const PACKAGE_ENTRY_BOOST = 0.25;
/** Tests, fixtures and examples without a question: the code they exercise explains more. */
export const TEST_FACTOR = 0.1;

/** Where a ranker may keep its lexical index between packs of the same files (the caller keys it by their contents). */
export interface LexicalIndexCache {
  load(): Uint8Array | undefined;
  save(index: Uint8Array): void;
}

/** BM25+ scores of every file for a question (0: none of its terms), and the terms each matching file holds. */
function lexicalMatches(index: LexicalIndex, question: string): ReturnType<LexicalIndex['scores']> {
  return index.scores(question, { path: PATH_BOOST, identifiers: IDENTIFIERS_BOOST, text: TEXT_BOOST });
}

/**
 * The first `k` of `items` in `compare`'s order (a total order): what sorting all and keeping `k` gives, without
 * sorting all (a question matches thousands of files; PageRank is seeded with fifty).
 */
function best(items: readonly number[], k: number, compare: (a: number, b: number) => number): number[] {
  const top: number[] = [];
  for (const item of items) {
    if (top.length === k && compare(item, top[k - 1]!) >= 0) continue;
    let at = top.length === k ? k - 1 : top.length;
    while (at > 0 && compare(item, top[at - 1]!) < 0) at--;
    top.splice(at, 0, item);
    if (top.length > k) top.pop();
  }
  return top;
}

function maxOf(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  return max;
}

const round = (x: number, digits = 1): string => x.toFixed(digits);

/** Question-free importance: PageRank on a log scale, 0..1 (1 = the most central file). */
function centrality(walk: Walk, tests: readonly boolean[]): Centrality {
  // The walk starts at non-test files mostly, so a helper that only tests import does not pass for central.
  const pr = pageRank(walk, tests.map((test) => (test ? TEST_FACTOR : 1)));
  return centralityOf(pr.map((x) => x * walk.n)); // 1 = an average file
}

function centralityOf(relative: Float64Array): Centrality {
  const top = Math.log1p(maxOf(relative));
  return { norm: relative.map((x) => (top > 0 ? Math.log1p(x) / top : 0)), relative };
}

/** The repository without a question: what `createRanker` needs. */
export type RepositoryInput = Omit<RankInput, 'question'>;

/** Ranks one repository for many questions: the walk is computed once, centrality and the BM25 index when first needed. */
export interface Ranker {
  /**
   * Builds what a question needs (the lexical index, unless cached) letting the event loop run, so a cancel gets
   * through; `rank` after it does not block. Without it, `rank` builds the index at once.
   */
  prepare(signal?: AbortSignal): Promise<void>;
  /** Whether `rank(question)` can run without reading any file's text: no question, or the lexical index is cached. */
  ready(question?: string): boolean;
  rank(question?: string): Ranking;
  /** Plain BM25: MiniSearch's BM25+ scores over the three fields, without PageRank or any factor (the baseline). */
  bm25(question: string): number[];
}

export function createRanker(input: RepositoryInput, cache?: LexicalIndexCache): Ranker {
  const walk = buildWalk(input.imports);
  const tests = input.paths.map(isTestPath);
  // The question-free PageRank depends on the same files as the lexical index, so it is kept in the index's cache.
  let central: Centrality | undefined;
  const questionFree = (): Centrality => (central ??= centrality(walk, tests));
  let index: LexicalIndex | undefined;
  const cachedIndex = (): LexicalIndex | undefined => {
    const stored = cache?.load();
    const cached = stored && LexicalIndex.fromBytes(stored);
    if (!cached || cached.documentCount !== input.paths.length) return undefined;
    if (cached.centrality) central ??= centralityOf(cached.centrality);
    return cached;
  };
  const built = (fresh: LexicalIndex): LexicalIndex => {
    cache?.save(fresh.toBytes());
    return fresh;
  };
  const indexed = (): IndexInput => ({ ...input, describe: packageDescriptions(input.paths, input.text) });
  const lexicalIndex = (): LexicalIndex => (index ??= cachedIndex() ?? built(LexicalIndex.build(indexed(), questionFree().relative)));
  return {
    async prepare(signal) {
      index ??= cachedIndex() ?? built(await LexicalIndex.buildAsync(indexed(), questionFree().relative, signal));
    },
    ready(question) {
      return !question?.trim() || (index ??= cachedIndex()) !== undefined;
    },
    rank(question) {
      const asked = question?.trim();
      if (!asked) return rankWithoutQuestion(input, walk, questionFree(), tests);
      const lexical = lexicalIndex(); // first: it may bring the question-free PageRank along
      return rankForQuestion(input, lexical, asked, walk, questionFree(), tests);
    },
    bm25(question) {
      const scores = new Array<number>(input.paths.length).fill(0);
      if (!question.trim()) return scores;
      const { score, found } = lexicalMatches(lexicalIndex(), question);
      for (const i of found) scores[i] = score[i]!;
      return scores;
    },
  };
}

export function rankFiles(input: RankInput, cache?: LexicalIndexCache): Ranking {
  return createRanker(input, cache).rank(input.question);
}

/** `rankFiles` that lets the event loop run while it builds the lexical index, and stops on `signal`. */
export async function rankFilesAsync(input: RankInput, cache?: LexicalIndexCache, signal?: AbortSignal): Promise<Ranking> {
  const ranker = createRanker(input, cache);
  if (input.question?.trim()) await ranker.prepare(signal);
  return ranker.rank(input.question);
}

/** File indices best first: by score, ties by path (so the same input always gives the same order). */
export function rankedOrder(score: readonly number[], paths: readonly string[]): number[] {
  return paths.map((_, i) => i).sort((a, b) => score[b]! - score[a]! || (paths[a]! < paths[b]! ? -1 : paths[a]! > paths[b]! ? 1 : 0));
}

interface Centrality { norm: Float64Array; relative: Float64Array }

function rankWithoutQuestion(
  input: RepositoryInput, walk: Walk, central: Centrality, tests: boolean[],
): Ranking {
  const n = input.paths.length;
  const entries = entryPoints(input.paths);
  const score: number[] = [];
  for (let i = 0; i < n; i++) {
    const entry = entries.get(i);
    const boost = entry === 'root' ? ROOT_ENTRY_BOOST : entry === 'package' ? PACKAGE_ENTRY_BOOST : 0;
    score.push((central.norm[i]! + boost) * (tests[i] ? TEST_FACTOR : 1) * (isGenerated(input.paths[i]!) ? GENERATED_FACTOR : 1));
  }
  const reason = (i: number): string => {
    const entry: EntryKind | undefined = entries.get(i);
    const parts: string[] = [];
    if (entry) parts.push(entry === 'root' ? 'entry point of the repository' : 'entry point of a package');
    const importers = walk.importedBy[i]!;
    parts.push(importers > 0 ? `imported by ${importers} file${importers === 1 ? '' : 's'} (pagerank ${round(central.relative[i]!)}× average)` : 'imported by no file');
    if (tests[i]) parts.push('test, fixture or example');
    if (isGenerated(input.paths[i]!)) parts.push('generated');
    return parts.join('; ');
  };
  return { score, reason, named: [] };
}

function rankForQuestion(
  input: RepositoryInput, index: LexicalIndex, question: string, walk: Walk, central: Centrality, tests: boolean[],
): Ranking {
  const n = input.paths.length;
  const { score: lexical, terms: matchedTerms, found } = lexicalMatches(index, question);
  const named = namedFiles(findMentions(question), input.paths, (symbol) => index.declarers(symbol));
  const topLexical = maxOf(lexical);

  // Seeds: the best lexical matches (ties by path, i.e. index), weighted by their BM25 score; named files too.
  const seeds = new Float64Array(n);
  const seeded = new Uint8Array(n);
  for (const i of best(found, SEED_COUNT, (a, b) => lexical[b]! - lexical[a]! || a - b)) { seeds[i] = lexical[i]!; seeded[i] = 1; }
  for (const i of named.keys()) { seeds[i] = Math.max(seeds[i]!, topLexical || 1); seeded[i] = 1; }
  const graph = maxOf(seeds) > 0 ? pageRank(walk, seeds) : new Float64Array(n);
  const topGraph = maxOf(graph);

  const score: number[] = [];
  for (let i = 0; i < n; i++) {
    const lex = topLexical > 0 ? lexical[i]! / topLexical : 0;
    const near = topGraph > 0 ? graph[i]! / topGraph : 0;
    const factor = (tests[i] ? TEST_FACTOR_WITH_QUESTION : 1) * (isProse(input.paths[i]!) ? PROSE_FACTOR_WITH_QUESTION : 1) * (index.generated(i) ? GENERATED_FACTOR : 1);
    const value = factor * (LEXICAL_WEIGHT * lex + GRAPH_WEIGHT * near + CENTRALITY_WEIGHT * central.norm[i]!);
    score.push(named.has(i) ? value + NAMED_BONUS : value);
  }
  let display: Map<string, string> | undefined; // a term as the question wrote it
  const reason = (i: number): string => {
    const parts: string[] = [];
    const why = named.get(i);
    if (why !== undefined) parts.push(why);
    const terms = matchedTerms[i];
    if (terms) {
      display ??= new Map(questionTerms(question).map((q) => [q.term, q.word]));
      const words = new Set(terms.map((term) => display!.get(term) ?? term));
      parts.push(`question terms: ${[...words].join(', ')} (bm25 ${round(lexical[i]!)})`);
    }
    const rowStart = walk.start[i]!;
    const rowMiddle = rowStart + walk.outDegree[i]!;
    let imports = 0;
    let importedBy = 0;
    for (let k = rowStart; k < walk.start[i + 1]!; k++) {
      if (seeded[walk.target[k]!]) { if (k < rowMiddle) imports++; else importedBy++; }
    }
    if (importedBy > 0) parts.push(`imported by ${importedBy} matching file${importedBy === 1 ? '' : 's'}`);
    if (imports > 0) parts.push(`imports ${imports} matching file${imports === 1 ? '' : 's'}`);
    if (parts.length === 0) parts.push(`no question terms; pagerank ${round(central.relative[i]!)}× average`);
    if (tests[i]) parts.push('test, fixture or example');
    if (isProse(input.paths[i]!)) parts.push('documentation');
    if (index.generated(i)) parts.push('generated');
    return parts.join('; ');
  };
  const namedList = [...named.keys()].sort((a, b) => score[b]! - score[a]! || a - b);
  return { score, reason, named: namedList };
}
