import { detectLanguage } from '../language.js';
import { extractFacts } from '../imports/index.js';
import { renderFileBlock, type RenderSettings } from '../render/render.js';
import type { TokenCounter } from '../tokens/tokenizer.js';
import type { FileFacts, LanguageId } from '../types.js';

/** The per-file work of a pack, done in a worker thread (or inline for small repositories). */
export interface AnalyseJob {
  path: string;
  text: string;
  lines: number;
  /** Extract imports (false when the cache already has them). */
  facts: boolean;
  /**
   * Count the tokens of the rendered `full` block, and return that block (false when cached or the tokenizer
   * is not additive): the main thread then need not keep the text.
   */
  tokens: boolean;
  /** Count `text` itself rather than a file block (prompt pieces such as the repository header). */
  raw?: boolean;
}

export interface AnalyseResult {
  language: LanguageId;
  facts?: FileFacts;
  tokens?: number;
  /** The rendered `full` block, UTF-8, in a buffer of its own (transferable between threads). */
  block?: Uint8Array;
}

const encoder = new TextEncoder();

export function runAnalyseJob(job: AnalyseJob, settings: RenderSettings, counter: TokenCounter | undefined): AnalyseResult {
  if (job.raw) return { language: 'text', tokens: counter?.count(job.text) };
  const language = detectLanguage(job.path);
  const result: AnalyseResult = { language };
  if (job.facts) result.facts = extractFacts(language, job.text, job.path);
  if (job.tokens && counter) {
    const block = renderFileBlock({ path: job.path, text: job.text, lines: job.lines, level: 'full' }, settings);
    result.tokens = counter.count(block);
    result.block = encoder.encode(block);
  }
  return result;
}
