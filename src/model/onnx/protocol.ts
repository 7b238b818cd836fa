import type { ModelDtype } from './dtypes.js';
import type { GenerateOptions, RuntimeOptions } from './runtime.js';

/** Prompt tokens per forward pass of the local model when not set. */
export const DEFAULT_CHUNK_SIZE = 512;

/** What the extension host or CLI sends the runtime's worker thread. */
export type ToRuntime =
  | { type: 'load'; dir: string; dtype?: ModelDtype; options: RuntimeOptions }
  | { type: 'generate'; id: number; messages: { role: string; content: string }[]; options: GenerateOptions }
  | { type: 'cancel'; id: number }
  /** Stop the answers under way, release the session and end the thread (terminating it mid-run aborts the process). */
  | { type: 'close' };

/** What the worker answers. */
export type FromRuntime =
  | { type: 'loaded'; contextLength: number; dtype: ModelDtype; graphPath: string }
  | { type: 'prefill'; id: number; done: number; total: number; tokensPerSecond: number }
  | { type: 'text'; id: number; text: string }
  | { type: 'done'; id: number; promptTokens: number; cachedTokens: number; completionTokens: number; finishReason: string; ids: number[]; cachedBytes: number }
  | { type: 'error'; id?: number; kind: 'usage' | 'cancelled' | 'failed'; message: string };
