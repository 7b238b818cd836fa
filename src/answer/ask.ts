import { realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { readFileText } from '../packer/discover/discover.js';
import { CancelledError, UsageError } from '../packer/errors.js';
import type { Manifest } from '../packer/manifest.js';
import { pack, type PackOptions, type PackProgress, type PackResult } from '../packer/pack.js';
import { DEFAULT_RENDER } from '../packer/render/render.js';
import { chooseTokenizer, DEFAULT_TOKENIZER, type TokenCounter } from '../packer/tokens/tokenizer.js';
import { ContextLengthError, ModelError } from '../model/errors.js';
import type { ChatBackend, ChatTurn, Usage } from '../model/types.js';
import { CitationScanner, type Citation } from './citations.js';
import { systemPrompt, TEMPLATE_TOKENS } from './prompt.js';
import { redactSecrets, type SecretFinding } from './secrets.js';
import { isInsideRepository, verifyCitations, type VerifiedCitation } from './verify.js';

export interface RepositoryChatOptions {
  backend: ChatBackend;
  /** How to pack (order, tokenizer, format…); the budget comes from the window. */
  pack?: Omit<PackOptions, 'budget' | 'question' | 'signal' | 'onProgress'>;
  /** The model's context window in tokens; undefined asks the server. */
  window?: number;
  /** Tokens kept for the answer (the request's max_tokens). */
  maxTokens?: number;
  temperature?: number;
  /** Scan the packed files for secrets and redact them before anything is sent (default: for remote backends). */
  redact?: boolean;
  /** Earlier turns of a conversation continued from elsewhere (the CLI's --conversation file). */
  history?: readonly ChatTurn[];
  /**
   * The repository's token budget; by default the window less the answer, the question and the earlier turns.
   * A conversation continued elsewhere passes its first budget, so a fitted repository packs to the same bytes.
   */
  budget?: number;
}

export const DEFAULT_MAX_TOKENS = 4096;
/** Below this many tokens for the repository a window is not worth packing into. */
const MIN_BUDGET = 1024;

export interface AskResult {
  question: string;
  answer: string;
  citations: VerifiedCitation[];
  usage: Usage;
  timings: { packMs: number; ttftMs: number | null; totalMs: number };
  finishReason: string | null;
  manifest: Manifest;
  /** Files whose secrets were redacted (empty when none were found); null when redaction was off. */
  redactions: SecretFinding[] | null;
  window: number;
}

export type AskEvent =
  | { type: 'pack'; progress: PackProgress }
  | { type: 'packed'; manifest: Manifest; redactions: SecretFinding[] | null; tokens: number; budget: number; window: number; reused: boolean }
  /** Something the user should know while waiting: a retry, a re-pack. */
  | { type: 'notice'; message: string }
  /** A local model reading the prompt (tokens not already in its cache). */
  | { type: 'prefill'; done: number; total: number; tokensPerSecond: number }
  | { type: 'delta'; text: string }
  | { type: 'citation'; citation: Citation }
  | { type: 'done'; result: AskResult };

interface CurrentPack {
  packed: PackResult;
  repository: string;
  redactions: SecretFinding[] | null;
  tokens: number;
  budget: number;
}

/**
 * A conversation with a model about one repository. Every request starts with the same repository bytes
 * (a server's prefix cache then answers follow-ups in seconds) and carries the earlier turns after it.
 * A repository that fits the window is packed again for each question — an unchanged repository packs to
 * the same bytes, an edited one is seen as it is now. One that had to be fitted keeps its first pack
 * (chosen for the first question) until `repack` is asked for.
 */
export class RepositoryChat {
  readonly turns: ChatTurn[] = [];
  private current: CurrentPack | undefined;
  private window: number | undefined;
  private tokenCounter: TokenCounter | undefined;
  private readonly root: string;

  constructor(root: string, private readonly options: RepositoryChatOptions) {
    this.root = resolve(root);
    this.window = options.window;
    this.turns.push(...(options.history ?? []));
  }

  /** Asks `question`; events stream while it is answered and the last one, `done`, carries the result. */
  async *ask(question: string, { signal, repack = false }: { signal?: AbortSignal; repack?: boolean } = {}): AsyncGenerator<AskEvent> {
    const started = performance.now();
    if (question.trim() === '') throw new UsageError('the question is empty; ask something about the repository');
    const window = await this.contextWindow(signal);
    const maxTokens = this.options.maxTokens ?? DEFAULT_MAX_TOKENS;
    const overhead = this.overheadTokens(question);
    let budget = this.options.budget ?? window - maxTokens - overhead - this.historyTokens();
    if (budget < MIN_BUDGET) {
      throw new UsageError(`a ${window}-token window leaves ${Math.max(0, budget)} tokens for the repository after the ${maxTokens}-token answer ` +
        'and the question; lower --max-tokens or use a model with a longer context');
    }
    const keep = this.current && !repack && isFitted(this.current.packed.manifest);
    let current = keep ? this.current! : undefined;
    // A fitted pack is ranked for the conversation's first question, so a follow-up packs to the same bytes.
    const rankBy = repack ? question : (this.turns[0]?.question ?? question);
    if (!current) current = yield* this.packFor(rankBy, budget, signal);
    yield {
      type: 'packed', manifest: current.packed.manifest, redactions: current.redactions, tokens: current.tokens, budget: current.budget,
      window, reused: !!keep,
    };
    const packMs = Math.round(performance.now() - started);

    for (let attempt = 0; ; attempt++) {
      const requestStarted = performance.now();
      let ttftMs: number | null = null;
      let answer = '';
      let finishReason: string | null = null;
      const usage: Usage = {};
      const scanner = new CitationScanner();
      const found: Citation[] = [];
      try {
        const stream = this.options.backend.stream({
          system: systemPrompt(this.lineNumbers), repository: current.repository, history: this.turns, question,
          maxTokens, temperature: this.options.temperature,
        }, { signal });
        for await (const event of stream) {
          if (event.type === 'delta') {
            ttftMs ??= Math.round(performance.now() - requestStarted);
            answer += event.text;
            yield { type: 'delta', text: event.text };
            for (const citation of scanner.push(event.text)) {
              found.push(citation);
              yield { type: 'citation', citation };
            }
          } else if (event.type === 'usage') Object.assign(usage, definedOnly(event.usage));
          else if (event.type === 'prefill') yield event;
          else if (event.type === 'retry') {
            yield { type: 'notice', message: `${event.reason}; trying again in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt + 1})` };
          } else finishReason = event.finishReason;
        }
      } catch (error) {
        if (!(error instanceof ContextLengthError) || attempt > 0 || answer !== '') throw error;
        // The server counts with its own tokenizer and template: fit again to what it says, once.
        budget = this.smallerBudget(error, current, window, maxTokens, overhead);
        yield { type: 'notice', message: `${error.message}; packing again into ${budget.toLocaleString('en-US')} tokens and retrying once` };
        current = yield* this.packFor(rankBy, budget, signal);
        yield { type: 'packed', manifest: current.packed.manifest, redactions: current.redactions, tokens: current.tokens, budget, window, reused: false };
        continue;
      }
      for (const citation of scanner.end()) {
        found.push(citation);
        yield { type: 'citation', citation };
      }
      const citations = this.verify(answer, found, current.packed.manifest);
      this.turns.push({ question, answer });
      yield {
        type: 'done',
        result: {
          question, answer, citations, usage, finishReason, manifest: current.packed.manifest, redactions: current.redactions, window,
          timings: { packMs, ttftMs, totalMs: Math.round(performance.now() - started) },
        },
      };
      return;
    }
  }

  /** Releases the backend (a local model's worker and its KV cache). */
  async close(): Promise<void> {
    await this.options.backend.close?.();
  }

  /** Forgets the earlier turns (the next question starts a new conversation on the same pack). */
  reset(): void {
    this.turns.length = 0;
  }

  private async *packFor(question: string, budget: number, signal: AbortSignal | undefined): AsyncGenerator<AskEvent, CurrentPack> {
    const progress: PackProgress[] = [];
    let wake: (() => void) | undefined;
    const packing = pack(this.root, {
      ...this.options.pack, tokenizer: this.tokenizer, budget, question, signal,
      onProgress: (p) => {
        progress.push(p);
        wake?.();
      },
    });
    // Pack progress streams as events while the pack runs.
    let done = false;
    void packing.finally(() => {
      done = true;
      wake?.();
    }).catch(() => {});
    while (!done) {
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
      const last = progress.at(-1);
      progress.length = 0;
      if (last) yield { type: 'pack', progress: last };
    }
    const packed = await packing;
    for (const message of packed.notices) yield { type: 'notice', message };
    let replace = new Map<string, string>();
    let redactions: SecretFinding[] | null = null;
    let tokens = packed.manifest.totalTokens;
    if (this.options.redact ?? !this.options.backend.local) {
      const redaction = await redactSecrets(packed, { root: this.root, cacheDir: this.options.pack?.cacheDir, signal });
      replace = redaction.replace;
      redactions = redaction.findings;
      tokens = redaction.totalTokens;
      if (redaction.findings.length > 0) packed.manifest.redactions = redaction.findings;
    }
    const parts: string[] = [];
    for (const piece of packed.pieces(replace)) parts.push(typeof piece === 'string' ? piece : piece.toString('utf8'));
    const current = { packed, repository: parts.join(''), redactions, tokens, budget };
    this.current = current;
    return current;
  }

  private smallerBudget(error: ContextLengthError, current: CurrentPack, window: number, maxTokens: number, overhead: number): number {
    const limit = error.limit ?? window;
    const ours = current.tokens + overhead + this.historyTokens();
    // Tokens the server counts per token we count (its tokenizer and template differ from ours).
    const ratio = error.promptTokens && error.promptTokens > 0 ? Math.max(1, error.promptTokens / ours) : 1.15;
    let budget = Math.floor(((limit - maxTokens) / ratio - overhead - this.historyTokens()) * 0.98);
    if (budget >= current.budget) budget = Math.floor(current.budget * 0.9);
    if (budget < MIN_BUDGET) {
      throw new ModelError(`${error.message}; even a ${MIN_BUDGET}-token pack would not fit — lower --max-tokens or start a new conversation`);
    }
    return budget;
  }

  private verify(answer: string, citations: readonly Citation[], manifest: Manifest): VerifiedCitation[] {
    const rootReal = realpathSync(this.root);
    return verifyCitations(answer, citations, {
      files: manifest.files,
      readText: (path) => {
        if (!isInsideRepository(path)) return undefined;
        try {
          const real = realpathSync(join(this.root, path));
          if (!real.startsWith(rootReal + sep)) return undefined; // a symlink put there since the pack
          return readFileText(real);
        } catch {
          return undefined;
        }
      },
    });
  }

  private async contextWindow(signal: AbortSignal | undefined): Promise<number> {
    if (this.window !== undefined) return this.window;
    const window = await this.options.backend.contextWindow({ signal });
    if (signal?.aborted) throw new CancelledError();
    if (window === undefined) {
      throw new UsageError(`${this.options.backend.label} does not report the model's context window; pass --window TOKENS (e.g. 131072)`);
    }
    return (this.window = window);
  }

  /** The packing tokenizer's counter, loaded once per chat (rank tables or a model's tokenizer.json are large). */
  private counter(): TokenCounter {
    return (this.tokenCounter ??= chooseTokenizer(this.tokenizer).load());
  }

  /** The packing tokenizer: the one asked for, else the model's own (a local model's tokenizer.json), else cl100k. */
  private get tokenizer(): string {
    return this.options.pack?.tokenizer ?? this.options.backend.tokenizerPath ?? DEFAULT_TOKENIZER;
  }

  private get lineNumbers(): typeof DEFAULT_RENDER.lineNumbers {
    return this.options.pack?.lineNumbers ?? DEFAULT_RENDER.lineNumbers;
  }

  /** Tokens of the instructions, the question and the template's own (the earlier turns are counted apart). */
  private overheadTokens(question: string): number {
    const counter = this.counter();
    return counter.count(systemPrompt(this.lineNumbers)) + counter.count(question) + TEMPLATE_TOKENS;
  }

  private historyTokens(): number {
    if (this.turns.length === 0) return 0;
    const counter = this.counter();
    return this.turns.reduce((sum, turn) => sum + counter.count(turn.question) + counter.count(turn.answer) + TEMPLATE_TOKENS, 0);
  }
}

function isFitted(manifest: Manifest): boolean {
  return manifest.files.some((file) => file.level !== 'full');
}

function definedOnly(usage: Usage): Usage {
  return Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== undefined)) as Usage;
}
