import type { Citation } from './citations.js';

/**
 * Checks each citation against what the prompt held (DESIGN.md, "Citations"): the path is a file that was
 * in the prompt, the range lies inside it, and code quoted next to the citation appears in that range.
 * A quote found elsewhere corrects the range; an invalid citation is kept with its reason, never dropped.
 */

export type CitationStatus = 'valid' | 'corrected' | 'invalid';

export interface PromptFile {
  path: string;
  lines: number;
  level: 'full' | 'signatures' | 'omitted';
}

export interface CitationSource {
  /** The manifest's files: what the prompt had. */
  files: readonly PromptFile[];
  /** Text of a prompt file (repository-relative path); called only for paths in `files`. */
  readText(path: string): string | undefined;
}

export interface VerifiedCitation extends Citation {
  status: CitationStatus;
  /** status !== 'invalid' */
  valid: boolean;
  /** One short human sentence: "lines 12–30 of src/a.ts", "src/x.ts was not in the prompt". */
  reason: string;
  /** Set when status is 'corrected'. */
  corrected?: { path: string; start: number; end: number };
}

/** Relative, '/'-separated, no '..' segment, not absolute, no backslash, NUL, drive letter, URL or home directory. */
export function isInsideRepository(path: string): boolean {
  if (path === '' || path.includes('\0') || path.includes('\\') || path.startsWith('/')) return false;
  if (/^[A-Za-z]:/.test(path) || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path)) return false;
  const segments = path.split('/');
  return !segments[0]!.startsWith('~') && !segments.includes('..');
}

export function verifyCitations(answer: string, citations: readonly Citation[], source: CitationSource): VerifiedCitation[] {
  const files = new PromptFiles(source);
  const quotes = new AnswerQuotes(answer, citations);
  return citations.map((citation) => {
    try {
      return verifyCitation(citation, files, quotes);
    } catch {
      // A bug here must not take the answer down with it: the citation is shown, marked unchecked.
      return { ...citation, status: 'invalid', valid: false, reason: 'the citation could not be checked' };
    }
  });
}

function verifyCitation(citation: Citation, files: PromptFiles, quotes: AnswerQuotes): VerifiedCitation {
  const invalid = (reason: string): VerifiedCitation => ({ ...citation, status: 'invalid', valid: false, reason });
  const written = String(citation.path).replace(/^(?:\.\/)+/, '');
  if (!isInsideRepository(written)) return invalid(`${citation.path} is outside the repository`);

  const lookup = files.find(written);
  if (lookup.file === undefined) {
    const also = lookup.candidates > 1 ? ` (${lookup.candidates} prompt files end with it)` : '';
    return invalid(`${citation.path} was not in the prompt${also}`);
  }
  const file = lookup.file;
  if (file.level === 'omitted') return invalid(`${file.path} is listed in the repository map only; its text was not in the prompt`);

  // Line numbers in the prompt are the file's true ones (signature blocks keep them), so `lines` is the bound.
  const cited = { start: citation.start, end: citation.end };
  if (!Number.isInteger(cited.start) || !Number.isInteger(cited.end)) return invalid('the cited lines are not line numbers');
  if (cited.start < 1 || cited.end < 1) return invalid(`line ${Math.min(cited.start, cited.end)} is before the first line of ${file.path}`);
  if (cited.start > file.lines) return invalid(`line ${cited.start} is past the end of ${file.path} (${file.lines} lines)`);
  let start = Math.min(cited.start, cited.end);
  let end = Math.max(cited.start, cited.end);
  const notes: string[] = [];
  if (cited.end < cited.start) notes.push(`lines ${span(cited.start, cited.end)} read as ${span(start, end)}`);
  if (end > file.lines) {
    end = file.lines;
    notes.push(`${file.path} has ${file.lines} lines; range clipped to ${span(start, end)}`);
  }

  for (const quote of quotes.of(citation)) {
    const text = files.text(file);
    const match = text && findQuote(text, quote.pieces, start, end);
    if (!text) {
      notes.push('the quote was not checked: the file could not be read');
    } else if (match?.inside) {
      notes.push(`quote found in ${lines(match.start, match.end)} of ${file.path}`);
    } else if (match) {
      notes.length = 0; // the quote's lines replace any fix of the range
      notes.push(`quote found at ${lines(match.start, match.end)}, not ${span(cited.start, cited.end)}`);
      start = match.start;
      end = match.end;
    } else if (quote.strict) {
      return invalid(`quoted code not found in ${file.path}`);
    } else {
      continue; // an inline code span not in the file is a name, not a quote: look further, or let the range decide
    }
    break;
  }

  if (file.path !== written) notes.unshift(`path completed to ${file.path}`);
  const reason = notes.length > 0 ? notes.join('; ') : `${lines(start, end)} of ${file.path}`;
  if (file.path === written && start === cited.start && end === cited.end) return { ...citation, status: 'valid', valid: true, reason };
  return { ...citation, status: 'corrected', valid: true, reason, corrected: { path: file.path, start, end } };
}

function span(start: number, end: number): string {
  return start === end ? `${start}` : `${start}–${end}`;
}

function lines(start: number, end: number): string {
  return start === end ? `line ${start}` : `lines ${start}–${end}`;
}

/** The prompt's files by path, their texts read at most once per verification. */
class PromptFiles {
  private readonly byPath = new Map<string, PromptFile>();
  private readonly byName = new Map<string, PromptFile[]>();
  private readonly texts = new Map<string, FileText | undefined>();

  constructor(private readonly source: CitationSource) {
    for (const file of source.files) {
      if (this.byPath.has(file.path)) continue;
      this.byPath.set(file.path, file);
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      const named = this.byName.get(name);
      if (named) named.push(file);
      else this.byName.set(name, [file]);
    }
  }

  /** The file itself, or the one prompt file whose path ends with `/` + the written path (`pack.ts` for `src/packer/pack.ts`). */
  find(path: string): { file?: PromptFile; candidates: number } {
    const exact = this.byPath.get(path);
    if (exact) return { file: exact, candidates: 1 };
    const name = path.slice(path.lastIndexOf('/') + 1);
    const candidates = (this.byName.get(name) ?? []).filter((f) => f.path.endsWith('/' + path) && isInsideRepository(f.path));
    return candidates.length === 1 ? { file: candidates[0], candidates: 1 } : { candidates: candidates.length };
  }

  text(file: PromptFile): FileText | undefined {
    if (!this.texts.has(file.path)) {
      let text: string | undefined;
      try {
        text = this.source.readText(file.path);
      } catch {
        text = undefined; // an unreadable file leaves its quotes unchecked, it does not fail the answer
      }
      this.texts.set(file.path, typeof text === 'string' ? indexText(text) : undefined);
    }
    return this.texts.get(file.path);
  }
}

/**
 * A file's text with all whitespace collapsed to single spaces, and where each line's part starts in it,
 * so a whitespace-normalised quote is found with indexOf and mapped back to line numbers.
 */
interface FileText {
  normal: string;
  /** Offsets in `normal` where the non-blank lines start, ascending. */
  starts: number[];
  /** The 1-based line number of each of those lines. */
  lineOf: number[];
}

function indexText(text: string): FileText {
  const normal: string[] = [];
  const starts: number[] = [];
  const lineOf: number[] = [];
  let length = 0;
  text.split('\n').forEach((line, i) => {
    const part = normalise(line);
    if (part === '') return;
    if (length > 0) length += 1; // the space standing for the line break
    starts.push(length);
    lineOf.push(i + 1);
    normal.push(part);
    length += part.length;
  });
  return { normal: normal.join(' '), starts, lineOf };
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The index of the last of ascending `starts` at or before `at` (0 when none is). */
function lastAtOrBefore(starts: readonly number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The line holding offset `at` of the normalised text. */
function lineAt(text: FileText, at: number): number {
  return text.lineOf[lastAtOrBefore(text.starts, at)] ?? 1;
}

/**
 * The occurrence of the quote inside lines start..end, else the one nearest to them. A quote is one or more
 * pieces (split where the model elided code) that must appear in order; the match covers all their lines.
 */
function findQuote(text: FileText, pieces: readonly string[], start: number, end: number): { start: number; end: number; inside: boolean } | undefined {
  let best: { start: number; end: number; inside: boolean; distance: number } | undefined;
  for (const [from, to] of occurrences(text.normal, pieces)) {
    const first = lineAt(text, from);
    const last = lineAt(text, to - 1);
    if (first >= start && last <= end) return { start: first, end: last, inside: true };
    const distance = Math.max(0, start - last, first - end);
    if (!best || distance < best.distance) best = { start: first, end: last, inside: false, distance };
    if (first > end) break; // later occurrences are only farther away
  }
  return best && { start: best.start, end: best.end, inside: false };
}

/**
 * Each occurrence of the first piece followed, in order, by the others. The earliest position of each later
 * piece only moves forward from one occurrence to the next, so it is searched again only when passed: linear.
 */
function* occurrences(normal: string, pieces: readonly string[]): Generator<[number, number]> {
  const at = pieces.map(() => -1);
  for (let from = 0; ; ) {
    const first = normal.indexOf(pieces[0]!, from);
    if (first < 0) return;
    let end = first + pieces[0]!.length;
    for (let j = 1; j < pieces.length; j++) {
      if (at[j]! < end) at[j] = normal.indexOf(pieces[j]!, end);
      if (at[j]! < 0) return;
      end = at[j]! + pieces[j]!.length;
    }
    yield [first, end];
    from = first + 1;
  }
}

/** Code quoted next to a citation. A fenced quote must be found; an inline one only counts when it is. */
interface Quote {
  pieces: string[];
  strict: boolean;
}

/** An inline code span this short is more likely a name than a quote. */
const MIN_INLINE_QUOTE = 12;

/** More text than this between a code span and the citation is prose, not a connecting word or two. */
const MAX_QUOTE_GAP = 40;

/** Words that may stand between an inline code span and its citation: "`parseCitations(text)` in [a.ts:L3]". */
const CONNECTORS = new Set(['in', 'at', 'see', 'from', 'of', 'on', 'cf', 'defined', 'line', 'lines']);

/** The answer split into lines, with its fenced blocks, to find the code quoted next to each citation. */
class AnswerQuotes {
  private readonly lineStarts: number[] = [0];
  private readonly lines: string[] = [];
  /** Fenced block by the line its opening fence is on, and by the line its closing fence is on. */
  private readonly opening = new Map<number, Fence>();
  private readonly closing = new Map<number, Fence>();
  /** Offset of each line's first citation, and how many citations share each bracket. */
  private readonly firstOnLine = new Map<number, number>();
  private readonly perBracket = new Map<number, number>();
  /** Computed once per block and per line, however many citations sit next to them. */
  private readonly fencePieces = new Map<Fence, string[]>();
  private readonly lineSpans = new Map<number, CodeSpan[]>();
  /** Blocks that follow a citation quote that one, not the citation under them. */
  private readonly claimed = new Set<Fence>();

  constructor(
    private readonly answer: string,
    citations: readonly Citation[],
  ) {
    const breaks = /\r\n?|\n/g;
    let from = 0;
    for (let m = breaks.exec(answer); m; m = breaks.exec(answer)) {
      this.lines.push(answer.slice(from, m.index));
      from = m.index + m[0].length;
      this.lineStarts.push(from);
    }
    this.lines.push(answer.slice(from));
    for (const fence of fencedBlocks(this.lines)) {
      this.opening.set(fence.open, fence);
      if (fence.close >= 0) this.closing.set(fence.close, fence);
    }
    for (const c of citations) {
      if (!this.isOffset(c.offset)) continue;
      const line = this.lineAt(c.offset);
      this.firstOnLine.set(line, Math.min(this.firstOnLine.get(line) ?? Infinity, c.offset));
      this.perBracket.set(c.offset, (this.perBracket.get(c.offset) ?? 0) + 1);
      const after = Number.isInteger(c.length) && c.length > 0 && this.fenceAfter(line, c.offset - this.lineStarts[line]! + c.length);
      if (after) this.claimed.add(after);
    }
  }

  /** What the citation quotes, nearest first: a block right after it, a code span before it, a block right above it. */
  of(citation: Citation): Quote[] {
    const { offset, length } = citation;
    if (!this.isOffset(offset) || !Number.isInteger(length) || length < 1) return [];
    const line = this.lineAt(offset);
    const column = offset - this.lineStarts[line]!;
    // Several citations in one bracket share whatever is quoted: it need only be found in the ones that have it.
    const shared = (this.perBracket.get(offset) ?? 0) > 1;
    const quotes: Quote[] = [];
    const after = this.fenceAfter(line, column + length);
    if (after) quotes.push({ pieces: this.piecesOf(after), strict: !shared });
    const inline = after ? undefined : this.inlineBefore(line, column);
    if (inline !== undefined) quotes.push({ pieces: [inline], strict: false });
    const above = this.closing.get(line - 1);
    if (!after && above && this.firstOnLine.get(line) === offset && !this.claimed.has(above)) {
      quotes.push({ pieces: this.piecesOf(above), strict: !shared });
    }
    return quotes.filter((quote) => quote.pieces.length > 0);
  }

  /** The block whose fence opens on the next non-blank line, when the citation ends its line (a ':' may follow). */
  private fenceAfter(line: number, column: number): Fence | undefined {
    const rest = /[\s:]*$/y;
    rest.lastIndex = column;
    if (!rest.test(this.lines[line]!)) return undefined;
    let next = line + 1;
    while (next < this.lines.length && this.lines[next]!.trim() === '') next++;
    return this.opening.get(next);
  }

  private piecesOf(fence: Fence): string[] {
    let pieces = this.fencePieces.get(fence);
    if (!pieces) {
      pieces = quotePieces(this.lines.slice(fence.open + 1, fence.close < 0 ? undefined : fence.close));
      this.fencePieces.set(fence, pieces);
    }
    return pieces;
  }

  /** The last inline code span before the column, when only spaces, punctuation and connecting words lie between. */
  private inlineBefore(line: number, column: number): string | undefined {
    let spans = this.lineSpans.get(line);
    if (!spans) {
      spans = codeSpans(this.lines[line]!);
      this.lineSpans.set(line, spans);
    }
    let last: CodeSpan | undefined;
    for (const span of spans) if (span.end <= column) last = span;
    if (!last || column - last.end > MAX_QUOTE_GAP) return undefined;
    const between = this.lines[line]!.slice(last.end, column).replace(/[\s.,;:!?()'"*_\-–—]+/g, ' ').trim();
    if (between !== '' && !between.split(' ').every((word) => CONNECTORS.has(word.toLowerCase()))) return undefined;
    const quote = normalise(last.text);
    return quote.length >= MIN_INLINE_QUOTE ? quote : undefined;
  }

  private isOffset(offset: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && offset < this.answer.length;
  }

  private lineAt(offset: number): number {
    return lastAtOrBefore(this.lineStarts, offset);
  }
}

/** A fenced block: the lines of its opening and closing fences (-1 when the answer ends inside it). */
interface Fence {
  open: number;
  close: number;
}

/** Fenced blocks by the rules the scanner follows (citations.ts): ``` or ~~~, closed by the same, at least as long. */
function fencedBlocks(lines: readonly string[]): Fence[] {
  const blocks: Fence[] = [];
  let current: (Fence & { marker: string }) | undefined;
  lines.forEach((line, i) => {
    const m = /^[ \t]*(`{3,}|~{3,})(.*)$/.exec(line);
    if (!m) return;
    const [, run, rest] = m as unknown as [string, string, string];
    if (!current) {
      if (!(run[0] === '`' && rest.includes('`'))) current = { open: i, close: -1, marker: run };
    } else if (run[0] === current.marker[0] && run.length >= current.marker.length && rest.trim() === '') {
      blocks.push({ open: current.open, close: i });
      current = undefined;
    }
  });
  if (current) blocks.push({ open: current.open, close: -1 });
  return blocks;
}

interface CodeSpan {
  text: string;
  /** Column just after its closing backticks. */
  end: number;
}

/** Code spans of one line, CommonMark style: a run of n backticks closes at the next run of exactly n. */
function codeSpans(line: string): CodeSpan[] {
  const runs = [...line.matchAll(/`+/g)].map((m) => ({ at: m.index, length: m[0].length }));
  // The next run of the same length after each run, found in one backward pass so long lines stay linear.
  const nextSame: number[] = new Array<number>(runs.length).fill(-1);
  const seen = new Map<number, number>();
  for (let i = runs.length - 1; i >= 0; i--) {
    nextSame[i] = seen.get(runs[i]!.length) ?? -1;
    seen.set(runs[i]!.length, i);
  }
  const spans: CodeSpan[] = [];
  for (let i = 0; i < runs.length; i++) {
    const j = nextSame[i]!;
    if (j < 0) continue; // an unmatched run is literal backticks
    const open = runs[i]!;
    const close = runs[j]!;
    spans.push({ text: line.slice(open.at + open.length, close.at), end: close.at + close.length });
    i = j;
  }
  return spans;
}

/** A prompt line-number prefix a model copied: `12  `, `12: `, `12 | `, or a bare number for a blank line. */
const LINE_PREFIX = /^[ \t]*(\d{1,9})(?: {2,}|\t|[ \t]*[:|] ?|[ \t]*$)/;

/** A line standing for left-out code: `...`, `…`, `// ... rest`, the prompt's own `⋮ lines 12–40`. */
function isElision(line: string): boolean {
  return /^\s*(?:\.{3}|…|⋮)\s*$/.test(line) || /^\s*⋮ lines? \d/.test(line) || /^\s*(?:\/\/|#|--|\/\*|<!--)\s*(?:\.{3}|…)/.test(line);
}

/**
 * The normalised pieces of a quote, split at elided code. Line-number prefixes are stripped when every
 * non-empty line has one and the numbers run consecutively (jumping only across an elision).
 */
function quotePieces(lines: readonly string[]): string[] {
  const numbered = hasLinePrefixes(lines);
  const pieces: string[] = [];
  let piece: string[] = [];
  const flush = () => {
    const text = normalise(piece.join('\n'));
    if (text !== '') pieces.push(text);
    piece = [];
  };
  for (const line of lines) {
    if (isElision(line)) flush();
    else piece.push(numbered ? line.replace(LINE_PREFIX, '') : line);
  }
  flush();
  return pieces;
}

function hasLinePrefixes(lines: readonly string[]): boolean {
  let previous: { number: number; index: number } | undefined;
  let elided = false;
  let seen = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (isElision(line)) {
      elided = true;
      continue;
    }
    if (line.trim() === '') continue;
    const m = LINE_PREFIX.exec(line);
    if (!m) return false;
    const number = Number(m[1]);
    if (previous) {
      const step = number - previous.number;
      if (elided ? step <= 0 : step !== index - previous.index) return false;
    }
    previous = { number, index };
    elided = false;
    seen++;
  }
  return seen > 0;
}
