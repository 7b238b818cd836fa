import { UsageError } from '../errors.js';

/** Counts tokens of rendered prompt text with one tokenizer. */
export interface TokenCounter {
  /** Stable id written to the manifest and used in cache keys (`cl100k_base`, `o200k_base`, `hf:<name>@<sha>`). */
  readonly id: string;
  count(text: string): number;
  /**
   * True when the count of a concatenation equals the sum of its parts' counts, for parts that end
   * with a newline and are followed by a part starting with a non-space character. Holds for regex
   * pre-tokenised byte-level BPE (tiktoken style), so a prompt is counted file by file and cached.
   */
  readonly additive: boolean;
}

/** What the user may pass to `--tokenizer`: a built-in encoding name or a path to a Hugging Face tokenizer.json. */
export type TokenizerSpec = string;

export const DEFAULT_TOKENIZER: TokenizerSpec = 'cl100k';

/**
 * The counting code (counters.ts, with the split patterns, the rank tables' reader and the Hugging Face library) is
 * evaluated on first use: a warm pack counts nothing, and evaluating it took ~8 ms of every start.
 */
function counting(): typeof import('./counters.js') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- bundled all the same; only evaluated later
  return require('./counters.js') as typeof import('./counters.js');
}

/** A tokenizer chosen but not necessarily loaded: built-in rank tables are large, so a warm pack never loads them. */
export interface TokenizerChoice {
  readonly id: string;
  readonly additive: boolean;
  load(): TokenCounter;
  /** Drops a loaded built-in table (tens of MB) when no more counting is expected; `load` brings it back. */
  release(): void;
}

/** Resolves `spec` (`cl100k`, `o200k`, or a path to a Hugging Face `tokenizer.json`) without loading rank tables. */
export function chooseTokenizer(spec: TokenizerSpec = DEFAULT_TOKENIZER): TokenizerChoice {
  const normalized = spec.toLowerCase();
  const builtin = normalized === 'cl100k' || normalized === 'cl100k_base' ? 'cl100k_base'
    : normalized === 'o200k' || normalized === 'o200k_base' ? 'o200k_base' : undefined;
  if (builtin) {
    let counter: TokenCounter | undefined;
    return {
      id: builtin, additive: true, load: () => (counter ??= counting().loadBuiltin(builtin)),
      release: () => {
        counter = undefined;
      },
    };
  }
  if (!spec.endsWith('.json')) {
    throw new UsageError(`unknown tokenizer "${spec}": use cl100k, o200k or the path of a Hugging Face tokenizer.json`);
  }
  const counter = counting().loadHuggingFaceTokenizer(spec);
  return { id: counter.id, additive: counter.additive, load: () => counter, release: () => {} };
}

/** Loads the counter named by `spec`: `cl100k`, `o200k`, or a path to a Hugging Face `tokenizer.json`. */
export function loadTokenCounter(spec: TokenizerSpec = DEFAULT_TOKENIZER): TokenCounter {
  return chooseTokenizer(spec).load();
}
