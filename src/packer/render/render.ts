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

export const DEFAULT_RENDER: RenderSettings = { format: 'xml', lineNumbers: 'every' };

/** In `sparse` mode a line carries its number when it is line 1, 11, 21, … */
export const SPARSE_INTERVAL = 10;

export interface RepositoryHeader {
  name: string;
  revision?: string;
  files: number;
  order: string;
}

export interface FileBlock {
  path: string;
  /** The text shown: the whole file for `full`, the elided text for `signatures`. */
  text: string;
  lines: number;
  level: FileLevel;
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
  const body = numberLines(file.text, settings.lineNumbers);
  switch (settings.format) {
    case 'xml':
      return `<file path="${attr(file.path)}" lines="${file.lines}" level="${file.level}">\n${body}</file>\n`;
    case 'markdown': {
      const fence = fenceFor(file.text);
      const info = detectLanguage(file.path);
      return `## ${file.path} (${file.lines} lines, ${file.level})\n\n${fence}${info === 'text' ? '' : info}\n${body}${fence}\n\n`;
    }
    case 'plain':
      return `==== ${file.path} (${file.lines} lines, ${file.level}) ====\n${body}\n`;
  }
}

/** The body with line numbers as the mode asks; it always ends with a newline. */
export function numberLines(text: string, mode: LineNumberMode): string {
  const content = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (mode === 'none') return content + '\n';
  const lines = content.split('\n');
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!;
    if (mode === 'every' || (n - 1) % SPARSE_INTERVAL === 0) out += line.length > 0 ? `${n}  ${line}\n` : `${n}\n`;
    else out += line + '\n';
  }
  return out;
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
