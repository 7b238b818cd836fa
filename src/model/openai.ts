import { CancelledError } from '../packer/errors.js';
import { ModelError, UnreachableError } from './errors.js';
import { sendRequest, type HttpResponse } from './http.js';
import { conversationMessages, displayEndpoint, knownContextWindow } from './messages.js';
import { errorFromResponse } from './responseError.js';
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from './retry.js';
import { readServerSentEvents } from './sse.js';
import type { ChatBackend, ChatEvent, ChatRequest, Usage } from './types.js';

export interface RemoteBackendConfig {
  /** The API's base URL: `http://gpu-box:8000/v1` for vLLM, SGLang, llama.cpp; `http://host:11434/v1` for Ollama. */
  endpoint: string;
  /** The model name; an OpenAI-compatible server that serves exactly one model needs none. */
  model?: string;
  apiKey?: string;
  /** Where the key comes from, for the message when the server rejects it. */
  keyHint?: string;
  /** Silence from the server for this long ends a request (a long prefill may be silent for minutes). */
  idleTimeoutMs?: number;
  retry?: RetryPolicy;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
/** Probing for the context window must not hold up a question for long. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * OpenAI-compatible chat completions with SSE streaming: vLLM, SGLang, llama.cpp's server, Ollama, LM Studio,
 * OpenAI. Usage comes from the final chunk that `stream_options.include_usage` asks for.
 */
export class OpenAiBackend implements ChatBackend {
  readonly label: string;
  private readonly base: URL;
  private model: string | undefined;
  private models: Promise<ServedModel[] | undefined> | undefined;

  constructor(private readonly config: RemoteBackendConfig) {
    this.base = parseEndpoint(config.endpoint, /\/chat\/completions\/?$/);
    this.label = displayEndpoint(this.base);
    this.model = config.model;
  }

  async *stream(request: ChatRequest, options: { signal?: AbortSignal } = {}): AsyncGenerator<ChatEvent> {
    const model = await this.modelName(options.signal);
    // Key order keeps the messages (and so the repository) at the same byte offset in every request.
    const body = JSON.stringify({
      model, messages: [{ role: 'system', content: request.system }, ...conversationMessages(request)],
      stream: true, stream_options: { include_usage: true }, max_tokens: request.maxTokens,
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    });
    yield* withRetries(() => this.attempt(body, model, options.signal), this.config.retry ?? DEFAULT_RETRY, options.signal);
  }

  private async *attempt(body: string, model: string, signal: AbortSignal | undefined): AsyncGenerator<ChatEvent> {
    const response = await this.send('POST', 'chat/completions', body, signal, this.config.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    if (response.status !== 200) throw await errorFromResponse(response, { label: this.label, model, keyHint: this.keyHint });
    let finish: string | null | undefined;
    for await (const event of readServerSentEvents(response.chunks())) {
      if (event.data === '[DONE]') {
        yield { type: 'done', finishReason: finish ?? null };
        return;
      }
      const chunk = parseChunk(event.data, this.label);
      if (chunk.error) throw chunk.error;
      if (chunk.text) yield { type: 'delta', text: chunk.text };
      if (chunk.finish !== undefined) finish = chunk.finish;
      if (chunk.usage) yield { type: 'usage', usage: chunk.usage };
    }
    // Some servers end the stream without [DONE]; without a finish reason either, the connection was cut.
    if (finish === undefined) throw new ModelError(`${this.label} closed the connection before the answer was complete`, true);
    yield { type: 'done', finishReason: finish };
  }

  async contextWindow(options: { signal?: AbortSignal } = {}): Promise<number | undefined> {
    const model = await this.modelName(options.signal).catch((error: unknown) => {
      if (error instanceof CancelledError || error instanceof UnreachableError) throw error;
      return this.model;
    });
    const served = (await this.servedModels(options.signal))?.find((m) => m.id === model);
    if (served?.maxModelLen) return served.maxModelLen; // vLLM, SGLang
    return (await this.llamaCppWindow(options.signal)) ?? (model ? await this.ollamaWindow(model, options.signal) : undefined)
      ?? (model ? knownContextWindow(model) : undefined);
  }

  /** The model to ask: the configured one, else the only one the server serves. */
  private async modelName(signal: AbortSignal | undefined): Promise<string> {
    if (this.model) return this.model;
    const served = await this.servedModels(signal);
    if (!served || served.length === 0) {
      throw new ModelError(`${this.label} does not list its models (GET /models); pass --model NAME (or set LONGREPO_MODEL)`);
    }
    if (served.length > 1) {
      const names = served.slice(0, 5).map((m) => m.id).join(', ') + (served.length > 5 ? ', …' : '');
      throw new ModelError(`${this.label} serves ${served.length} models (${names}); pass --model NAME (or set LONGREPO_MODEL)`);
    }
    return (this.model = served[0]!.id);
  }

  private servedModels(signal: AbortSignal | undefined): Promise<ServedModel[] | undefined> {
    this.models ??= this.probeJson('GET', 'models', undefined, signal).then((json) => {
      const data = (json as { data?: unknown } | undefined)?.data;
      if (!Array.isArray(data)) return undefined;
      return data.filter((m): m is Record<string, unknown> => !!m && typeof m.id === 'string').map((m) => ({
        id: m.id as string, maxModelLen: typeof m.max_model_len === 'number' ? m.max_model_len : undefined,
      }));
    });
    return this.models;
  }

  /** llama.cpp's server: GET /props at the server's root; n_ctx is one slot's window. */
  private async llamaCppWindow(signal: AbortSignal | undefined): Promise<number | undefined> {
    const json = await this.probeJson('GET', '../props', undefined, signal) as { default_generation_settings?: { n_ctx?: unknown } } | undefined;
    const nCtx = json?.default_generation_settings?.n_ctx;
    return typeof nCtx === 'number' && nCtx > 0 ? nCtx : undefined;
  }

  /** Ollama: POST /api/show; a `num_ctx` parameter is the window it runs with, else the model's own context length. */
  private async ollamaWindow(model: string, signal: AbortSignal | undefined): Promise<number | undefined> {
    const json = await this.probeJson('POST', '../api/show', JSON.stringify({ model }), signal) as
      { parameters?: unknown; model_info?: Record<string, unknown> } | undefined;
    const numCtx = typeof json?.parameters === 'string' ? /(?:^|\n)\s*num_ctx\s+(\d+)/.exec(json.parameters)?.[1] : undefined;
    if (numCtx) return Number(numCtx);
    const length = Object.entries(json?.model_info ?? {}).find(([key]) => key.endsWith('.context_length'))?.[1];
    return typeof length === 'number' && length > 0 ? length : undefined;
  }

  /**
   * A quick GET or POST whose failure only means "the server does not say", unless nothing answers at all: then
   * that is what the user must hear (not that the server does not list its models or its window).
   */
  private async probeJson(method: 'GET' | 'POST', path: string, body: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    try {
      const response = await this.send(method, path, body, signal, PROBE_TIMEOUT_MS);
      const text = await response.text(1 << 20);
      return response.status === 200 ? JSON.parse(text) : undefined;
    } catch (error) {
      if (error instanceof CancelledError || error instanceof UnreachableError) throw error;
      return undefined;
    }
  }

  private send(method: 'GET' | 'POST', path: string, body: string | undefined, signal: AbortSignal | undefined, idleTimeoutMs: number): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    // Relative to the base with a trailing slash: "models" → /v1/models, "../props" → /props.
    const url = new URL(path, this.base.href.replace(/\/?$/, '/'));
    return sendRequest({ url, method, headers, body, signal, idleTimeoutMs, label: this.label, apiKey: this.config.apiKey });
  }

  private get keyHint(): string {
    return this.config.keyHint ?? 'LONGREPO_API_KEY';
  }
}

interface ServedModel {
  id: string;
  maxModelLen?: number;
}

/** One streamed chunk: its text, finish reason, usage, or an error the server sent inside the stream. */
function parseChunk(data: string, label: string): { text?: string; finish?: string | null; usage?: Usage; error?: ModelError } {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return { error: new ModelError(`${label} sent a stream chunk that is not JSON: ${data.slice(0, 120)}`) };
  }
  if (json.error || json.object === 'error') {
    const error = (json.error && typeof json.error === 'object' ? json.error : json) as { message?: unknown };
    return { error: new ModelError(`${label} failed while answering: ${String(error.message ?? JSON.stringify(json.error)).slice(0, 300)}`) };
  }
  const choice = Array.isArray(json.choices) ? json.choices[0] as Record<string, unknown> | undefined : undefined;
  const delta = choice?.delta as { content?: unknown } | undefined;
  const result: { text?: string; finish?: string | null; usage?: Usage } = {};
  if (typeof delta?.content === 'string' && delta.content !== '') result.text = delta.content;
  if (typeof choice?.finish_reason === 'string') result.finish = choice.finish_reason;
  if (json.usage && typeof json.usage === 'object') result.usage = usageOf(json.usage as Record<string, unknown>, json.timings);
  return result;
}

function usageOf(usage: Record<string, unknown>, timings: unknown): Usage {
  const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  const details = usage.prompt_tokens_details as { cached_tokens?: unknown } | null | undefined;
  // llama.cpp reports its prompt cache reuse in `timings.cache_n` rather than prompt_tokens_details.
  const cacheN = timings && typeof timings === 'object' ? number((timings as { cache_n?: unknown }).cache_n) : undefined;
  return {
    promptTokens: number(usage.prompt_tokens), completionTokens: number(usage.completion_tokens),
    cachedTokens: number(details?.cached_tokens) ?? cacheN,
  };
}

/** The base URL from --endpoint: http(s) only, without a trailing route the user may have pasted. */
export function parseEndpoint(endpoint: string, route: RegExp): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ModelError(`--endpoint "${endpoint}" is not a URL; give the API's base URL, e.g. http://gpu-box:8000/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModelError(`--endpoint "${displayEndpoint(url)}" must start with http:// or https://`);
  }
  url.pathname = url.pathname.replace(route, '').replace(/\/+$/, '');
  url.search = '';
  url.hash = '';
  return url;
}
