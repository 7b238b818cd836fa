import { detectLanguage } from '../language.js';

export const PROMPT_FORMATS = ['xml', 'markdown', 'plain'] as const;
export type PromptFormat = (typeof PROMPT_FORMATS)[number];
export const LINE_NUMBER_MODES = ['every', 'none', 'sparse'] as const;
export type LineNumberMode = (typeof LINE_NUMBER_MODES)[number];
export type FileLevel = 'full' | 'signatures' | 'omitted';

export interface RenderSettings {
  format: PromptFormat;
  lineNumbers: LineNumberMode;
}

/** Names a rendered block's token count in caches: the tokenizer, the rendering settings and the block's level. */
export function blockKey(tokenizerId: string, settings: RenderSettings, level: Exclude<FileLevel, 'omitted'>): string {
  return `${tokenizerId}|${settings.format}|${settings.lineNumbers}|${level}`;
}

export const DEFAULT_RENDER: RenderSettings = { format: 'xml', lineNumbers: 'every' };

/** In `sparse` mode a line carries its number when it is line 1, 11, 21, … */
export const SPARSE_INTERVAL = 10;

export interface RepositoryHeader {
  name: string;
  revision?: string;
  files: number;
  order: string;
}

/** 1-based inclusive range of a file's lines left out of a `signatures` block. */
export interface Elision {
  start: number;
  end: number;
}

export interface FileBlock {
  path: string;
  /** The file's whole text; a `signatures` block leaves out its `elisions`. */
  text: string;
  lines: number;
  level: FileLevel;
  /** Sorted, non-overlapping ranges left out of a `signatures` block, each shown as one marker line. */
  elisions?: readonly Elision[];
}

/*
 * Every piece of the prompt starts with a non-space character and ends with a newline, so
 * tiktoken-style tokenizers count the prompt as the sum of its pieces (see TokenCounter.additive).
 */

export function renderHeader(repo: RepositoryHeader, settings: RenderSettings): string {
  const revision = repo.revision ? ` revision="${attr(repo.revision)}"` : '';
  switch (settings.format) {
    case 'xml':
      return `<repository name="${attr(repo.name)}"${revision} files="${repo.files}" order="${attr(repo.order)}">\n`;
    case 'markdown':
      return `# Repository ${repo.name}${repo.revision ? ` @ ${repo.revision}` : ''} (${repo.files} files, ${repo.order} order)\n\n`;
    case 'plain':
      return `Repository ${repo.name}${repo.revision ? ` @ ${repo.revision}` : ''}: ${repo.files} files in ${repo.order} order\n\n`;
  }
}

export function renderFooter(settings: RenderSettings): string {
  return settings.format === 'xml' ? '</repository>\n' : 'End of repository\n';
}

export function renderFileBlock(file: FileBlock, settings: RenderSettings): string {
  // One array joined once: a block is counted character by character next, and a string built by `+=` is a
  // rope that would be flattened on first read (a third of the counting time on django).
  const out: string[] = [];
  const elisions = file.level === 'signatures' ? file.elisions : undefined;
  switch (settings.format) {
    case 'xml':
      out.push(`<file path="${attr(file.path)}" lines="${file.lines}" level="${file.level}">\n`);
      numberLines(out, file.text, settings.lineNumbers, elisions);
      out.push('</file>\n');
      break;
    case 'markdown': {
      const fence = fenceFor(file.text);
      const info = detectLanguage(file.path);
      out.push(`## ${file.path} (${file.lines} lines, ${file.level})\n\n${fence}${info === 'text' ? '' : info}\n`);
      numberLines(out, file.text, settings.lineNumbers, elisions);
      out.push(`${fence}\n\n`);
      break;
    }
    case 'plain':
      out.push(`==== ${file.path} (${file.lines} lines, ${file.level}) ====\n`);
      numberLines(out, file.text, settings.lineNumbers, elisions);
      out.push('\n');
      break;
  }
  return out.join('');
}

/**
 * Appends to `out` the body with line numbers as the mode asks; it always ends with a newline. Elided ranges become one
 * marker line each (`⋮ lines 12–40`) and every kept line keeps its own number, so citations stay true;
 * in `sparse` mode the first line after a marker carries its number too.
 */
function numberLines(out: string[], text: string, mode: LineNumberMode, elisions?: readonly Elision[]): void {
  const content = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (mode === 'none' && !elisions?.length) {
    out.push(content, '\n');
    return;
  }
  const lines = content.split('\n');
  let next = 0; // index into elisions
  let afterMarker = false;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const elision = elisions?.[next];
    if (elision && n === elision.start) {
      const end = Math.min(elision.end, lines.length);
      out.push(elisionMarker(elision.start, end));
      i = end - 1;
      next++;
      afterMarker = true;
      continue;
    }
    const line = lines[i]!;
    const numbered = mode === 'every' || (mode === 'sparse' && ((n - 1) % SPARSE_INTERVAL === 0 || afterMarker));
    if (numbered) out.push(line.length > 0 ? `${n}  ${line}\n` : `${n}\n`);
    else out.push(line, '\n');
    afterMarker = false;
  }
}

/** The line standing for elided lines; it starts with a non-space character, like every line of the prompt. */
export function elisionMarker(start: number, end: number): string {
  return start === end ? `⋮ line ${start}\n` : `⋮ lines ${start}–${end}\n`;
}

/** Omitted files are listed by path at the top, so the model knows they exist. */
export function renderMapHeader(settings: RenderSettings): string {
  switch (settings.format) {
    case 'xml':
      return '<omitted>\n';
    case 'markdown':
      return '## Files not shown\n\n';
    case 'plain':
      return 'Files not shown:\n\n';
  }
}

export function renderMapLine(path: string, settings: RenderSettings): string {
  return settings.format === 'markdown' ? `- ${path}\n` : `${settings.format === 'xml' ? attrText(path) : path}\n`;
}

/** XML closes the list; in markdown and plain text the next file's heading ends it. */
export function renderMapFooter(settings: RenderSettings): string {
  return settings.format === 'xml' ? '</omitted>\n' : '';
}

/** A backtick fence longer than any run of backticks in the text. */
function fenceFor(text: string): string {
  let longest = 0;
  for (const run of text.match(/`{3,}/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function attrText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
