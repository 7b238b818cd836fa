/**
 * A model server failed in a way the user can act on. The message is one line that names the endpoint and
 * what to check; it never contains an API key.
 */
export class ModelError extends Error {
  override readonly name: string = 'ModelError';
  constructor(
    message: string,
    /** Worth trying again after a pause (429, 5xx, a dropped connection before any answer). */
    readonly retryable = false,
    /** The server's Retry-After, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** No HTTP answer at all: the server is not there (refused, no such host, no route, no connection in time, TLS). */
export class UnreachableError extends ModelError {
  override readonly name = 'UnreachableError';
}

/** The server rejected the prompt as longer than the model's context window. */
export class ContextLengthError extends ModelError {
  override readonly name = 'ContextLengthError';
  constructor(
    message: string,
    /** The model's context window, when the server says it. */
    readonly limit?: number,
    /** The prompt's tokens as the server counted them, when it says. */
    readonly promptTokens?: number,
  ) {
    super(message);
  }
}

/**
 * Recognises the servers' context-length errors from an error body's message. The variants (as their
 * sources and documentation write them):
 * - vLLM (and OpenAI), over its versions: "This model's maximum context length is 32768 tokens. However, you requested
 *   40000 tokens (39000 in the messages, 1000 in the completion)…", "…However, your request has 40000 input tokens…",
 *   "You passed 40000 input tokens and requested 1000 output tokens. However, the model's context length is only
 *   32768 tokens…", "…your prompt contains at least 40000 input tokens…"; OpenAI's "…However, your messages
 *   resulted in 130000 tokens…" with code context_length_exceeded;
 * - SGLang: "The input (40000 tokens) is longer than the model's context length (32768 tokens).";
 * - llama.cpp: type exceed_context_size_error, "request (13392 tokens) exceeds the available context size (8192 tokens)…",
 *   with n_ctx and n_prompt_tokens;
 * - Anthropic: "prompt is too long: 210000 tokens > 200000 maximum".
 */
export function parseContextLengthError(message: string, details: Record<string, unknown> = {}): { limit?: number; promptTokens?: number } | undefined {
  const number = (pattern: RegExp): number | undefined => {
    const match = pattern.exec(message);
    return match ? Number(match[1]) : undefined;
  };
  const anthropic = /prompt is too long:\s*(\d+)\s*tokens\s*>\s*(\d+)/i.exec(message);
  if (anthropic) return { promptTokens: Number(anthropic[1]), limit: Number(anthropic[2]) };
  const sglang = /input \((\d+) tokens\) is longer than the model's context length \((\d+) tokens\)/i.exec(message);
  if (sglang) return { promptTokens: Number(sglang[1]), limit: Number(sglang[2]) };
  const limit = number(/maximum context length is (\d+)/i) ?? number(/context length is only (\d+)/i);
  if (limit !== undefined) {
    const prompt = number(/\((\d+) in the messages/i) ?? number(/has (\d+) input tokens/i) ?? number(/resulted in (\d+) tokens/i)
      ?? number(/passed (\d+) input tokens/i) ?? number(/at least (\d+) input tokens/i) ?? number(/requested (\d+) tokens/i);
    return { limit, promptTokens: prompt };
  }
  if (details.type === 'exceed_context_size_error' || /exceeds the available context size/i.test(message)) {
    const numeric = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
    return {
      limit: numeric(details.n_ctx) ?? number(/available context size \((\d+) tokens/i),
      promptTokens: numeric(details.n_prompt_tokens) ?? number(/request \((\d+) tokens\)/i),
    };
  }
  if (details.code === 'context_length_exceeded') return {};
  return undefined;
}

/** Removes an API key from a text that is about to be shown (servers sometimes echo part of it). */
export function withoutSecret(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('***');
}
