/**
 * The "signatures" level of a file: which lines go when a file does not fit in full. Declarations
 * stay (imports, types, classes and their members, function headers, decorators, doc comments,
 * short constants); the inner lines of function bodies and of long declaration-level initialisers
 * go. Elisions are ranges of original lines, so every kept line keeps its number.
 *
 * The parse is tree-sitter's (web-tree-sitter and the grammar packages' own wasm files); the
 * per-language knowledge is the data in `languages.ts`.
 */
import type { Node, Parser, Query, QueryMatch } from 'web-tree-sitter';
import type { LanguageId } from '../types.js';
import { GRAMMARS, LANGUAGES, type GrammarId, type LanguageRules } from './languages.js';
import { readWasm, treeSitter } from './wasm.js';

// 1-based inclusive line ranges to elide (each is a body or a run of body lines); sorted, non-overlapping.
import type { Elision } from '../render/render.js';
export type { Elision };

/** A run of fewer lines than this stays: its marker line would cost about what it saves. */
export const MIN_ELIDED_LINES = 3;
/** Texts longer than this (UTF-16 code units) are not parsed. */
const MAX_TEXT_LENGTH = 8 * 1024 * 1024;
/** A parse running longer than this (1 s plus 1 ms per thousand characters: < 1 MB/s) is abandoned. */
const parseDeadlineMs = (length: number): number => 1000 + length / 1000;
/** A parse leaving more than this share of the text unparsed (in ERROR nodes) has failed badly. */
const MAX_ERROR_SHARE = 0.5;

interface LoadedGrammar {
  parser: Parser;
  query: Query;
}

const grammars = new Map<GrammarId, LoadedGrammar>();
let loading: Promise<void> | undefined;

/** Loads web-tree-sitter and the grammars once per thread (idempotent; safe to call concurrently). */
export function initSignatures(): Promise<void> {
  loading ??= loadGrammars().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function loadGrammars(): Promise<void> {
  const { Language, Parser, Query } = treeSitter();
  await Parser.init({ wasmBinary: readWasm('web-tree-sitter', 'tree-sitter.wasm') });
  const ids = Object.keys(GRAMMARS) as GrammarId[];
  const languages = await Promise.all(ids.map((id) => Language.load(readWasm(GRAMMARS[id].pkg, GRAMMARS[id].file))));
  const loaded = ids.map((id, i): [GrammarId, LoadedGrammar] => {
    const language = languages[i]!;
    const parser = new Parser();
    parser.setLanguage(language);
    return [id, { parser, query: new Query(language, GRAMMARS[id].query) }];
  });
  // all or nothing: a half-loaded set would make some languages silently unsupported
  for (const [id, grammar] of loaded) grammars.set(id, grammar);
}

/** Whether `signatureElisions` knows the language (after `initSignatures`). */
export function hasSignatures(language: LanguageId): boolean {
  return Object.hasOwn(LANGUAGES, language) && grammars.size > 0;
}

/** The elisions for a file, or undefined when the language is unsupported or the parse fails badly. Synchronous after init. */
export function signatureElisions(language: LanguageId, text: string): Elision[] | undefined {
  if (!hasSignatures(language) || text.length > MAX_TEXT_LENGTH) return undefined;
  const rules = LANGUAGES[language]!;
  try {
    const lineStarts = lineStartsOf(text);
    if (lineStarts.length <= MIN_ELIDED_LINES) return [];
    // tree-sitter also ends a row at a lone CR; lines here (and in citations) end at LF only
    const sameLines = text.includes('\r') ? text.replace(/\r(?!\n)/g, ' ') : text;
    const source = rules.prepare ? rules.prepare(sameLines) : sameLines;
    const order = rules.jsxGrammars && /<\/|\/>/.test(text) ? rules.jsxGrammars : rules.grammars;
    let best: Analysis | undefined;
    for (const id of order) {
      const grammar = grammars.get(id);
      const analysis = grammar && analyse(grammar, rules, source, lineStarts);
      if (analysis && (!best || analysis.errorShare < best.errorShare)) best = analysis;
      if (best?.errorShare === 0) break;
    }
    return best && best.errorShare <= MAX_ERROR_SHARE ? best.elisions : undefined;
  } catch {
    return undefined;
  }
}

/** Renders the kept text for tests/debugging: kept lines as is, each elided range replaced by one marker line `⋮ lines A–B`. */
export function applyElisions(text: string, elisions: readonly Elision[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let next = 0;
  for (const { start, end } of elisions) {
    if (start - 1 < next || end < start) continue;
    for (; next < Math.min(start - 1, lines.length); next++) out.push(lines[next]!);
    out.push(`⋮ lines ${start}–${end}`);
    next = end;
  }
  for (; next < lines.length; next++) out.push(lines[next]!);
  return out.join('\n');
}

interface Analysis {
  elisions: Elision[];
  /** Share of the text that ERROR nodes leave unparsed (see `unparsedLength`). */
  errorShare: number;
}

const enum Kind {
  Container,
  Fn,
  Member,
  Init,
  Lambda,
}

/** One captured construct, reduced to rows while the tree is alive. Rows are 0-based. */
interface Action {
  kind: Kind;
  start: number;
  end: number;
  /** Where the body starts (a text index); the end for constructs without one. */
  bodyStart: number;
  startRow: number;
  /** The last row of the header (a function's line with `{` or `:`, or its docstring's last line). */
  headerEnd: number;
  /** Rows that go: from–to inclusive (empty when from > to). */
  innerFrom: number;
  innerTo: number;
  /** The row with the closing brace, kept for structure; -1 when there is none. */
  closeRow: number;
}

function analyse(grammar: LoadedGrammar, rules: LanguageRules, text: string, lineStarts: number[]): Analysis | undefined {
  const deadline = Date.now() + parseDeadlineMs(text.length);
  const tree = grammar.parser.parse(text, null, { progressCallback: () => Date.now() > deadline });
  if (!tree) {
    grammar.parser.reset();
    return undefined;
  }
  try {
    const matches = grammar.query.matches(tree.rootNode);
    const rows = lineStarts.length;
    const attached = new Uint8Array(rows);
    const actions: Action[] = [];
    for (const match of matches) collect(match, rules, text, lineStarts, attached, actions);
    const elide = decide(actions, rows, attached);
    elideLicense(text, lineStarts, attached, elide);
    return { elisions: runsOf(elide), errorShare: tree.rootNode.hasError ? unparsedLength(tree.rootNode) / Math.max(1, text.length) : 0 };
  } finally {
    tree.delete();
  }
}

function collect(match: QueryMatch, rules: LanguageRules, text: string, lineStarts: number[], attached: Uint8Array, actions: Action[]): void {
  let kind: Kind | undefined;
  let node: Node | undefined;
  let body: Node | undefined;
  for (const capture of match.captures) {
    switch (capture.name) {
      case 'body': body = capture.node; break;
      case 'fn': kind = Kind.Fn; node = capture.node; break;
      case 'member': kind = Kind.Member; node = capture.node; break;
      case 'lambda': kind = Kind.Lambda; node = capture.node; break;
      case 'container': kind = Kind.Container; node = capture.node; break;
      case 'init': kind = Kind.Init; node = capture.node; break;
      case 'attach': markAttached(capture.node, text, lineStarts, attached); return;
    }
  }
  if (kind === undefined || !node) return;
  const startRow = node.startPosition.row;
  const lastRow = lastRowOf(node);
  const action: Action = { kind, start: node.startIndex, end: node.endIndex, bodyStart: node.endIndex, startRow, headerEnd: lastRow, innerFrom: 1, innerTo: 0, closeRow: -1 };
  if (kind === Kind.Container) {
    actions.push(action);
  } else if (kind === Kind.Init) {
    // an initialiser holding a syntax error may run past its real end: it stays
    if (rules.notInit.has(node.type) || lastRow - startRow < MIN_ELIDED_LINES + 1 || node.hasError) return;
    action.innerFrom = startRow + 1;
    action.innerTo = lastRow - 1;
    actions.push(action);
  } else if (body) {
    action.bodyStart = body.startIndex;
    if (rules.indented) indentedBody(action, body);
    else {
      const open = body.startPosition.row;
      const close = lastRowOf(body);
      action.headerEnd = open;
      action.innerFrom = open + 1;
      action.innerTo = close - 1;
      action.closeRow = close > open ? close : -1;
    }
    // a body holding a syntax error may have swallowed what follows it (an unbalanced brace, a
    // macro tree-sitter cannot see through): its header stays, its lines are not elided
    if (body.hasError) action.innerTo = action.innerFrom - 1;
    actions.push(action);
  }
}

/** Python: the header ends at the `:`; a leading docstring stays with it; the rest of the block goes, to its last line. */
function indentedBody(action: Action, body: Node): void {
  let before = body.previousSibling;
  while (before?.type === 'comment') before = before.previousSibling;
  let headerEnd = before ? lastRowOf(before) : action.startRow;
  let first = body.firstNamedChild;
  while (first?.type === 'comment') first = first.nextNamedSibling;
  const only = first?.type === 'expression_statement' && first.namedChildCount === 1 ? first.firstNamedChild : null;
  if (first && only && (only.type === 'string' || only.type === 'concatenated_string')) headerEnd = Math.max(headerEnd, lastRowOf(first));
  action.headerEnd = headerEnd;
  action.innerFrom = headerEnd + 1;
  action.innerTo = lastRowOf(body);
}

/** Marks the rows that hold nothing but this comment, decorator or attribute. */
function markAttached(node: Node, text: string, lineStarts: number[], attached: Uint8Array): void {
  const first = node.startPosition.row;
  const last = lastRowOf(node);
  const fromFirst = blank(text, lineStarts[first]!, node.startIndex) ? first : first + 1;
  const lineEnd = last + 1 < lineStarts.length ? lineStarts[last + 1]! : text.length;
  const toLast = blank(text, node.endIndex, lineEnd) ? last : last - 1;
  for (let row = fromFirst; row <= toLast; row++) attached[row] = 1;
}

function blank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) return false;
  }
  return true;
}

/** The last row a node occupies (a node ending at the very start of a row does not occupy it). */
function lastRowOf(node: Node): number {
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
}

/**
 * Walks the constructs outer to inner (by start, longer first), so an inner construct's decision
 * overrides its container's: a method's body goes inside a class that stays, a nested function's
 * header stays inside a body that goes. Returns 1 for every row that goes.
 */
function decide(actions: Action[], rows: number, attached: Uint8Array): Uint8Array {
  actions.sort((a, b) => a.start - b.start || b.end - a.end || a.kind - b.kind);
  const elide = new Uint8Array(rows);
  const set = (from: number, to: number, value: number): void => {
    if (from <= to) elide.fill(value, Math.max(0, from), Math.min(rows - 1, to) + 1);
  };
  const withAttached = (row: number): number => {
    while (row > 0 && attached[row - 1]) row--;
    return row;
  };
  const stack: Action[] = [];
  for (const action of actions) {
    while (stack.length > 0 && stack[stack.length - 1]!.end <= action.start) stack.pop();
    const where = placeOf(stack, action.start);
    // a member is a declaration at declaration level, an anonymous function in a body
    if (action.kind === Kind.Member) action.kind = where === 'declarations' ? Kind.Fn : Kind.Lambda;
    switch (action.kind) {
      case Kind.Container:
        set(withAttached(action.startRow), action.headerEnd, 0);
        break;
      case Kind.Fn:
        set(withAttached(action.startRow), action.headerEnd, 0);
        set(action.innerFrom, action.innerTo, 1);
        if (action.closeRow > action.headerEnd) set(action.closeRow, action.closeRow, 0);
        break;
      case Kind.Lambda:
        if (where !== 'header') set(action.innerFrom, action.innerTo, 1);
        break;
      case Kind.Init:
        if (where === 'declarations') set(action.innerFrom, action.innerTo, 1);
        break;
    }
    stack.push(action);
  }
  return elide;
}

/** Where a construct starting at `index` sits: among declarations, in a function's body, or in its header. */
function placeOf(stack: readonly Action[], index: number): 'declarations' | 'body' | 'header' {
  for (let i = stack.length - 1; i >= 0; i--) {
    const outer = stack[i]!;
    if (outer.kind === Kind.Container) return 'declarations';
    if (outer.kind === Kind.Init) continue;
    return index >= outer.bodyStart ? 'body' : 'header';
  }
  return 'declarations';
}

const LICENSE = /copyright|licen[cs]e|spdx-|all rights reserved/i;

/**
 * A licence goes too: the file's first comment block (below any `#!` line), from its first line
 * naming a copyright or licence to its end, when a blank line follows the block (so it documents
 * no declaration). What the block says before that line (a file's own documentation) stays.
 */
function elideLicense(text: string, lineStarts: number[], attached: Uint8Array, elide: Uint8Array): void {
  const rows = lineStarts.length;
  const lineOf = (row: number): string => text.slice(lineStarts[row]!, row + 1 < rows ? lineStarts[row + 1]! - 1 : text.length);
  let first = 0;
  while (first < rows && (lineOf(first).trim() === '' || (first === 0 && lineOf(0).startsWith('#!')))) first++;
  let end = first;
  while (end < rows && attached[end]) end++;
  if (end < rows && lineOf(end).trim() !== '') return;
  let from = first;
  while (from < end && !LICENSE.test(lineOf(from))) from++;
  if (end - from >= MIN_ELIDED_LINES) elide.fill(1, from, end);
}

/** Maximal runs of elided rows, long enough to be worth a marker, as 1-based line ranges. */
function runsOf(elide: Uint8Array): Elision[] {
  const runs: Elision[] = [];
  for (let row = 0; row < elide.length; ) {
    if (!elide[row]) {
      row++;
      continue;
    }
    const from = row;
    while (row < elide.length && elide[row]) row++;
    if (row - from >= MIN_ELIDED_LINES) runs.push({ start: from + 1, end: row });
  }
  return runs;
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  if (starts.length > 1 && starts[starts.length - 1] === text.length) starts.pop();
  return starts;
}

/**
 * How much text ERROR nodes leave unparsed: the bytes of ERROR nodes that none of their named
 * children covers. An ERROR node often wraps a whole file after one macro tree-sitter cannot see
 * through while the declarations inside it parsed fine; those do not count.
 */
function unparsedLength(root: Node): number {
  let total = 0;
  const stack = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const error = node.type === 'ERROR';
    if (error) total += node.endIndex - node.startIndex;
    for (let child = node.firstNamedChild; child; child = child.nextNamedSibling) {
      if (error) total -= child.endIndex - child.startIndex;
      if (child.hasError) stack.push(child);
    }
  }
  return total;
}
