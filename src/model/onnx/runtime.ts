import { totalmem } from 'node:os';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { DEFAULT_CHUNK_SIZE } from './protocol.js';
import { CancelledError, UsageError } from '../../packer/errors.js';
import { StreamingDetokenizer } from './detokenizer.js';
import { readTokenizerJson, type ModelFolder } from './folder.js';
import { sampleToken, seededRandom, type SamplingOptions } from './sampling.js';

export interface RuntimeOptions {
  /** Prompt tokens per forward pass while prefilling: bounds the activations' memory (logits are chunk × vocabulary). */
  chunkSize?: number;
  /** Largest KV cache in bytes; a prompt that would need more is refused with the figures. */
  kvMemoryLimit?: number;
  /** Threads for one forward pass (onnxruntime's intra-op threads); default: onnxruntime's choice. */
  threads?: number;
}

export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  /** Texts that end the answer (not included in it). */
  stop?: readonly string[];
}

export interface GenerateHooks {
  onPrefill?: (done: number, total: number, tokensPerSecond: number) => void;
  onText?: (text: string) => void;
  /** Asked between forward passes; true stops the answer at once (a CancelledError). */
  cancelled?: () => boolean;
}

export interface GenerateResult {
  promptTokens: number;
  /** Prompt tokens whose keys and values came from the kept cache. */
  cachedTokens: number;
  completionTokens: number;
  finishReason: 'stop' | 'length';
  /** The generated ids (for tests: the same as another runtime's greedy ids). */
  ids: number[];
}


/** A conversation's cached keys and values: the tokens they cover, in order, and one tensor per graph input. */
interface KvCache {
  tokens: number[];
  past: Record<string, ort.Tensor>;
}

/**
 * A decoder-only model on onnxruntime-node: chat template and tokenizer from the folder, chunked prefill,
 * sampling, streaming text, and the KV cache of the last conversation kept for the next question. A prompt
 * that starts with the tokens the cache covers (the same repository, the earlier turns) prefills only the rest.
 */
export class OnnxRuntime {
  private cache: KvCache | undefined;
  private readonly template: Template;
  private readonly inputs: Set<string>;
  private readonly kvType: 'float32' | 'float16';
  private readonly specials: Record<string, string>;

  private constructor(
    readonly folder: ModelFolder, private readonly session: ort.InferenceSession, private readonly tokenizer: Tokenizer,
    private readonly options: RuntimeOptions,
  ) {
    this.template = new Template(folder.chatTemplate);
    this.inputs = new Set(session.inputNames);
    const kv = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
    this.kvType = kv?.isTensor && kv.type === 'float16' ? 'float16' : 'float32';
    this.specials = specialTokens(folder.tokenizerConfig);
  }

  static async load(folder: ModelFolder, options: RuntimeOptions = {}): Promise<OnnxRuntime> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(folder.graphPath, {
        executionProviders: ['cpu'], graphOptimizationLevel: 'all',
        ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
      });
    } catch (error) {
      const message = (error as Error).message;
      const operator = /Could not find an implementation for (\S+)/.exec(message)?.[1] ?? /([\w.]+:\w+)\(-?\d+\) is not a registered function\/op/.exec(message)?.[1];
      throw new UsageError(operator
        ? `${folder.graphPath} uses the operator ${operator}, which onnxruntime's CPU provider does not have; pick another --dtype or another export`
        : `onnxruntime cannot load ${folder.graphPath}: ${message.split('\n')[0]}`);
    }
    const names = new Set(session.inputNames);
    const unknown = session.inputNames.filter((n) => !/^(input_ids|attention_mask|position_ids|past_key_values\.\d+\.(key|value)|num_logits_to_keep|logits_to_keep)$/.test(n));
    if (!names.has('input_ids') || !names.has('past_key_values.0.key') || unknown.length > 0) {
      await session.release();
      throw new UsageError(`${folder.graphPath} is not a decoder with a KV cache LongRepo can drive (inputs: ${session.inputNames.join(', ')}); ` +
        'use an export with input_ids, attention_mask and past_key_values.N.key/value (as published for transformers.js)');
    }
    return new OnnxRuntime(folder, session, new Tokenizer(readTokenizerJson(folder), folder.tokenizerConfig), options);
  }

  /** The chat template applied to `messages` and tokenised, as the model expects its prompt. */
  encodeChat(messages: readonly { role: string; content: string }[]): number[] {
    const text = this.template.render({ messages, add_generation_prompt: true, ...this.specials });
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: number[]): string {
    return ids.length === 0 ? '' : this.tokenizer.decode(ids, { skip_special_tokens: true });
  }

  /** Bytes of keys and values per token of context. */
  get kvBytesPerToken(): number {
    return this.folder.layers * 2 * this.folder.kvHeads * this.folder.headDim * (this.kvType === 'float16' ? 2 : 4);
  }

  /** Bytes the kept cache holds now. */
  get cachedBytes(): number {
    return (this.cache?.tokens.length ?? 0) * this.kvBytesPerToken;
  }

  /** Forgets the kept cache (asked for, or to make room). */
  dropCache(): void {
    this.cache = undefined;
  }

  async generate(prompt: readonly number[], options: GenerateOptions, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    const { contextLength } = this.folder;
    if (prompt.length + 1 > contextLength) {
      throw new UsageError(`the prompt has ${prompt.length} tokens, over the model's ${contextLength}-token context; pack with a smaller budget`);
    }
    const limit = this.options.kvMemoryLimit ?? Math.floor(totalmem() / 2);
    const needed = Math.min(prompt.length + options.maxTokens, contextLength) * this.kvBytesPerToken;
    if (needed > limit) {
      throw new UsageError(`this prompt needs ${gib(needed)} of KV cache for ${prompt.length} tokens, over the ${gib(limit)} limit; ` +
        'pack with a smaller --window or raise the memory limit');
    }
    // Reuse the kept cache up to the longest common prefix; at least one token is always fed for fresh logits.
    const reuse = Math.min(commonPrefix(this.cache?.tokens ?? [], prompt), prompt.length - 1);
    let past = reuse > 0 ? truncatePast(this.cache!.past, reuse) : this.emptyPast();
    this.cache = undefined; // while generating, the cache is in flux
    const fed: number[] = prompt.slice(0, reuse);
    const chunkSize = Math.max(1, this.options.chunkSize ?? DEFAULT_CHUNK_SIZE);
    const started = performance.now();
    let logits: Float32Array | undefined;
    while (fed.length < prompt.length) {
      if (hooks.cancelled?.()) throw new CancelledError();
      const chunk = prompt.slice(fed.length, fed.length + chunkSize);
      ({ logits, past } = await this.forward(chunk, fed.length, past));
      fed.push(...chunk);
      const seconds = (performance.now() - started) / 1000;
      hooks.onPrefill?.(fed.length - reuse, prompt.length - reuse, seconds > 0 ? (fed.length - reuse) / seconds : 0);
    }

    const random = seededRandom(options.seed ?? 0);
    const detokenizer = new StreamingDetokenizer((ids) => this.decode(ids));
    const generated: number[] = [];
    const eos = new Set(this.folder.eosIds);
    let text = '';
    let finishReason: 'stop' | 'length' = 'length';
    const emit = (delta: string): boolean => {
      if (delta === '') return false;
      const before = text.length;
      text += delta;
      const stopAt = firstStop(text, options.stop ?? [], before);
      if (stopAt >= 0) {
        if (stopAt > before) hooks.onText?.(text.slice(before, stopAt));
        return true;
      }
      hooks.onText?.(delta);
      return false;
    };
    while (generated.length < options.maxTokens) {
      const next = sampleToken(logits!, options, random);
      if (eos.has(next)) {
        finishReason = 'stop';
        break;
      }
      generated.push(next);
      if (emit(detokenizer.push(next))) {
        finishReason = 'stop';
        break;
      }
      if (generated.length >= options.maxTokens || fed.length + 1 >= contextLength) break;
      if (hooks.cancelled?.()) throw new CancelledError();
      ({ logits, past } = await this.forward([next], fed.length, past));
      fed.push(next);
    }
    if (finishReason === 'length') emit(detokenizer.flush());
    this.cache = { tokens: fed, past };
    return { promptTokens: prompt.length, cachedTokens: reuse, completionTokens: generated.length, finishReason, ids: generated };
  }

  /** One forward pass over `ids` after `pastLength` cached tokens: the last position's logits and the new cache. */
  private async forward(ids: readonly number[], pastLength: number, past: Record<string, ort.Tensor>): Promise<{ logits: Float32Array; past: Record<string, ort.Tensor> }> {
    const n = ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, n]),
      ...past,
    };
    if (this.inputs.has('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(pastLength + n).fill(1n), [1, pastLength + n]);
    if (this.inputs.has('position_ids')) {
      feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(pastLength + i)), [1, n]);
    }
    for (const name of ['num_logits_to_keep', 'logits_to_keep']) if (this.inputs.has(name)) feeds[name] = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const outputs = await this.session.run(feeds);
    const next: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      if (name.startsWith('present')) next[name.replace(/^present/, 'past_key_values')] = tensor;
    }
    return { logits: lastRow(outputs.logits!), past: next };
  }

  private emptyPast(): Record<string, ort.Tensor> {
    const past: Record<string, ort.Tensor> = {};
    const dims = [1, this.folder.kvHeads, 0, this.folder.headDim];
    for (let layer = 0; layer < this.folder.layers; layer++) {
      for (const part of ['key', 'value']) {
        const name = `past_key_values.${layer}.${part}`;
        past[name] = this.kvType === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
      }
    }
    return past;
  }

  async release(): Promise<void> {
    this.cache = undefined;
    await this.session.release();
  }
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The first `length` positions of every past tensor ([batch, heads, sequence, headDim]). */
function truncatePast(past: Record<string, ort.Tensor>, length: number): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(past)) {
    const [batch, heads, sequence, headDim] = tensor.dims as [number, number, number, number];
    if (sequence === length) {
      out[name] = tensor;
      continue;
    }
    const data = tensor.data as Float32Array | Uint16Array;
    const sliced = new (data.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(batch * heads * length * headDim);
    for (let h = 0; h < batch * heads; h++) {
      sliced.set(data.subarray(h * sequence * headDim, (h * sequence + length) * headDim), h * length * headDim);
    }
    out[name] = new ort.Tensor(tensor.type as 'float32', sliced as Float32Array, [batch, heads, length, headDim]);
  }
  return out;
}

/** The last position's logits as float32 (fp16 exports give float16). */
function lastRow(logits: ort.Tensor): Float32Array {
  const vocab = logits.dims.at(-1)!;
  const rows = logits.data.length / vocab;
  const data = logits.data as Float32Array | Uint16Array;
  const row = data.subarray((rows - 1) * vocab, rows * vocab);
  return row instanceof Float32Array ? Float32Array.from(row) : Float32Array.from(row, halfToFloat);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The first place a stop text ends the answer, looking only where the newest text could complete one. */
function firstStop(text: string, stops: readonly string[], newFrom: number): number {
  let first = -1;
  for (const stop of stops) {
    if (stop === '') continue;
    const at = text.indexOf(stop, Math.max(0, newFrom - stop.length + 1));
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

/** bos_token, eos_token, … as strings for the chat template (tokenizer_config gives strings or {content} objects). */
function specialTokens(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const value = config[key];
    if (typeof value === 'string') out[key] = value;
    else if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') out[key] = (value as { content: string }).content;
  }
  return out;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
