import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_TOKENS, RepositoryChat, type AskEvent, type AskResult } from '../answer/ask.js';
import { describePack, describeRedactions } from '../answer/describe.js';
import { PROJECT_CONFIG_FILE, readProjectConfig, type ProjectConfig } from '../answer/projectConfig.js';
import type { VerifiedCitation } from '../answer/verify.js';
import { apiKeyFromEnvironment, createBackend, providerOf, PROVIDERS, type Provider } from '../model/index.js';
import { DEFAULT_LOCAL_MODEL, DEFAULT_LOCAL_WINDOW } from '../model/onnx/defaultModel.js';
import { isModelComplete, modelDir } from '../model/onnx/download.js';
import { MODEL_DTYPES, type ModelDtype } from '../model/onnx/dtypes.js';
import { DEFAULT_CHUNK_SIZE } from '../model/onnx/protocol.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../model/openai.js';
import { DEFAULT_RETRY } from '../model/retry.js';
import type { ChatBackend, ChatTurn } from '../model/types.js';
import { UsageError } from '../packer/errors.js';
import { checkOutputPath, writeOutputs } from '../packer/output/writeOutputs.js';
import { LINE_NUMBER_MODES, PROMPT_FORMATS, type LineNumberMode, type PromptFormat } from '../packer/render/render.js';
import { cancelOnInterrupt } from './interrupt.js';
import { addPackFlags, packOptionsOf, parseTokenCount, type PackFlags } from './packFlags.js';
import { downloadWithProgress } from './model.js';
import { PrefillDisplay, ProgressDisplay } from './progress.js';

interface AskFlags extends PackFlags {
  endpoint?: string;
  provider?: Provider;
  model?: string;
  modelDir?: string;
  dtype?: ModelDtype;
  prefillChunk?: number;
  seed?: number;
  yes?: boolean;
  window?: number;
  maxTokens?: number;
  temperature?: number;
  timeout?: number;
  retries: number;
  redact: boolean;
  json?: boolean;
  manifest?: string;
  conversation?: string;
  repack?: boolean;
  quiet?: boolean;
}

/** A saved conversation: the turns so far and the budget of its first pack (so a fitted pack repeats byte for byte). */
interface ConversationFile {
  version: 1;
  budget: number;
  turns: ChatTurn[];
}

export function registerAskCommand(program: Command): void {
  const command = program
    .command('ask')
    .description('ask a long-context model about the whole repository; the answer streams, then its citations are checked')
    .argument('<dir-and-question...>', '[DIR] QUESTION: the repository (default .) and the question, quoted')
    .option('--endpoint <url>', 'the model server\'s API base URL, e.g. http://gpu-box:8000/v1 (env LONGREPO_ENDPOINT)')
    .addOption(new Option('--provider <name>', 'openai (any OpenAI-compatible server), anthropic, or onnx (the local runtime); default: from the endpoint, onnx without one (token counts then use the model\'s own tokenizer.json)').choices(PROVIDERS))
    .option('--model <name>', 'model name (env LONGREPO_MODEL); a server with one model needs none')
    .option('--model-dir <dir>', `folder of a local ONNX model (default with no endpoint: ${DEFAULT_LOCAL_MODEL.id}, downloaded on first use)`)
    .addOption(new Option('--dtype <variant>', 'which weights of the local model to load').choices(MODEL_DTYPES))
    .option('--prefill-chunk <tokens>', `prompt tokens per forward pass of the local model (default ${DEFAULT_CHUNK_SIZE})`, (v) => parseTokenCount(v, '--prefill-chunk'))
    .option('--seed <n>', 'sampling seed of the local model (with --temperature above 0)', parseSeed)
    .option('-y, --yes', 'download the default local model without asking')
    .option('--window <tokens>', 'the model\'s context window (default: asked from the server)', (v) => parseTokenCount(v, '--window'))
    .option('--max-tokens <tokens>', `longest answer, kept free in the window (default ${DEFAULT_MAX_TOKENS})`, (v) => parseTokenCount(v, '--max-tokens'))
    .option('--temperature <t>', 'sampling temperature (default: the server\'s)', parseTemperature)
    .option('--timeout <seconds>', `give up when the server sends nothing for this long (default ${DEFAULT_IDLE_TIMEOUT_MS / 1000})`, parseSeconds)
    .option('--retries <n>', 'tries again after 429, 5xx or a dropped connection (before any answer)', parseCount, DEFAULT_RETRY.retries)
    .option('--no-redact', 'send secrets found in the files as they are (they are redacted by default)')
    .option('--conversation <file>', 'continue the conversation saved in FILE (created if missing) and save this turn to it')
    .option('--repack', 'pack again for this question instead of reusing the conversation\'s pack')
    .option('--manifest <file>', 'write the manifest of what was sent to FILE')
    .option('--json', 'print {answer, citations, usage, timings} as JSON instead of streaming the answer')
    .option('-q, --quiet', 'no progress and no notices on standard error');
  addPackFlags(command).action(async (args: string[], flags: AskFlags) => {
    const [dir, question] = args.length === 1 ? ['.', args[0]!] : args.length === 2 ? [args[0]!, args[1]!] : [];
    if (question === undefined) throw new InvalidArgumentError(`ask takes [DIR] QUESTION, not ${args.length} words; put the question in quotes`);
    const root = resolve(dir!);
    const settings = merge(flags, await readProjectConfig(root), command);
    if (flags.manifest && flags.conversation && resolve(flags.manifest) === resolve(flags.conversation)) {
      throw new InvalidArgumentError(`--manifest and --conversation both name ${flags.manifest}: give each a file of its own`);
    }
    for (const file of [flags.manifest, flags.conversation]) if (file) await checkOutputPath(resolve(file), file === flags.manifest ? '--manifest' : '--conversation');
    const saved = flags.conversation ? await readConversation(resolve(flags.conversation)) : undefined;

    const notices = !flags.quiet && !flags.json;
    const signal = cancelOnInterrupt();
    const local = settings.provider === 'onnx';
    const modelDir = local ? await localModelDir(flags, notices, signal) : undefined;
    const { key, hint } = apiKeyFromEnvironment(settings.provider);
    const backend = createBackend({
      provider: settings.provider, endpoint: settings.endpoint, model: settings.model, apiKey: key, keyHint: hint,
      idleTimeoutMs: settings.timeout * 1000, retry: { ...DEFAULT_RETRY, retries: flags.retries },
      modelDir, dtype: flags.dtype ?? (flags.modelDir ? undefined : DEFAULT_LOCAL_MODEL.dtype), chunkSize: flags.prefillChunk, seed: flags.seed,
    });
    const window = settings.window ?? (local ? Math.min(DEFAULT_LOCAL_WINDOW, (await backend.contextWindow())!) : undefined);
    const chat = new RepositoryChat(root, {
      backend, window, maxTokens: settings.maxTokens, temperature: settings.temperature, redact: settings.redact,
      history: saved?.turns, budget: saved?.budget,
      pack: { ...packOptionsOf(flags), order: settings.order, tokenizer: settings.tokenizer, format: settings.format, lineNumbers: settings.lineNumbers },
    });

    const stream = !flags.json;
    const display = notices && process.stderr.isTTY ? new ProgressDisplay(process.stderr) : undefined;
    const prefill = notices && process.stderr.isTTY ? new PrefillDisplay(process.stderr) : undefined;
    let result: AskResult | undefined;
    let budget = saved?.budget;
    try {
      for await (const event of chat.ask(question, { signal, repack: flags.repack })) {
        switch (event.type) {
          case 'pack':
            display?.show(event.progress);
            break;
          case 'packed':
            display?.stop();
            budget ??= event.budget;
            if (notices) process.stderr.write(packedLine(event, backend));
            break;
          case 'prefill':
            prefill?.show(event.done, event.total, event.tokensPerSecond);
            if (event.done === event.total) prefill?.stop();
            break;
          case 'notice':
            if (notices) process.stderr.write(`longrepo: ${event.message}\n`);
            break;
          case 'delta':
            if (stream) process.stdout.write(event.text);
            break;
          case 'done':
            result = event.result;
            break;
          default:
        }
      }
    } finally {
      display?.stop();
      prefill?.stop();
      await backend.close?.();
    }
    if (!result) throw new Error('the answer ended without a result');
    const outputs: { path: string; data: string }[] = [];
    if (flags.manifest) outputs.push({ path: resolve(flags.manifest), data: JSON.stringify(result.manifest, null, 2) + '\n' });
    if (flags.conversation) {
      const conversation: ConversationFile = { version: 1, budget: budget!, turns: chat.turns };
      outputs.push({ path: resolve(flags.conversation), data: JSON.stringify(conversation, null, 2) + '\n' });
    }
    await writeOutputs(outputs);
    if (flags.json) {
      process.stdout.write(JSON.stringify(jsonResult(result, backend.label), null, 2) + '\n');
      return;
    }
    process.stdout.write(`${result.answer.endsWith('\n') ? '' : '\n'}${formatCitations(result.citations)}`);
    if (result.finishReason === 'length') process.stderr.write(`longrepo: the answer was cut off at ${settings.maxTokens} tokens; raise --max-tokens\n`);
    if (notices) process.stderr.write(usageLine(result) + '\n');
  });
}

interface Settings {
  endpoint?: string;
  provider: Provider;
  model?: string;
  window?: number;
  maxTokens: number;
  temperature?: number;
  timeout: number;
  /** Undefined: redact for remote servers only. */
  redact?: boolean;
  order: string;
  /** Undefined: the model's own tokenizer when it has one (a local model), else cl100k. */
  tokenizer?: string;
  format: PromptFormat;
  lineNumbers: LineNumberMode;
}

/** Flags over environment over `.longrepo.json` over defaults. */
function merge(flags: AskFlags, project: ProjectConfig, command: Command): Settings {
  const env = process.env;
  const fromCli = (name: string): boolean => command.getOptionValueSource(name) === 'cli';
  const pick = <T>(name: keyof AskFlags, value: T | undefined): T | undefined => (fromCli(name) ? flags[name] as T : value);
  const named = flags.provider ?? env.LONGREPO_PROVIDER ?? project.provider;
  if (named !== undefined && !PROVIDERS.includes(named as Provider)) {
    throw new UsageError(`unknown provider "${named}" (from ${flags.provider ? '--provider' : env.LONGREPO_PROVIDER ? 'LONGREPO_PROVIDER' : PROJECT_CONFIG_FILE}); use ${PROVIDERS.join(', ')}`);
  }
  const endpoint = flags.endpoint ?? env.LONGREPO_ENDPOINT ?? project.endpoint;
  const provider = providerOf({ provider: named as Provider | undefined, endpoint: flags.modelDir && !flags.endpoint ? undefined : endpoint });
  const choice = <T extends string>(name: string, value: string, allowed: readonly T[]): T => {
    if (!allowed.includes(value as T)) throw new UsageError(`${PROJECT_CONFIG_FILE}: "${name}" must be one of ${allowed.join(', ')}, not "${value}"`);
    return value as T;
  };
  return {
    endpoint: provider === 'onnx' ? undefined : endpoint,
    provider,
    model: flags.model ?? env.LONGREPO_MODEL ?? project.model,
    window: flags.window ?? project.window,
    maxTokens: flags.maxTokens ?? project.maxTokens ?? DEFAULT_MAX_TOKENS,
    temperature: flags.temperature ?? project.temperature,
    timeout: flags.timeout ?? project.timeout ?? DEFAULT_IDLE_TIMEOUT_MS / 1000,
    redact: fromCli('redact') ? flags.redact : project.redact,
    order: pick('order', project.order) ?? flags.order,
    tokenizer: pick('tokenizer', project.tokenizer),
    format: choice('format', pick('format', project.format) ?? flags.format, PROMPT_FORMATS),
    lineNumbers: choice('lineNumbers', pick('lineNumbers', project.lineNumbers) ?? flags.lineNumbers, LINE_NUMBER_MODES),
  };
}

async function readConversation(path: string): Promise<ConversationFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read --conversation ${path}: ${(error as Error).message}`);
  }
  let json: Partial<ConversationFile> | undefined;
  try {
    json = JSON.parse(text) as Partial<ConversationFile>;
  } catch {
    json = undefined;
  }
  const turnsOk = Array.isArray(json?.turns) && json.turns.every((t) => typeof t?.question === 'string' && typeof t.answer === 'string');
  if (json?.version !== 1 || typeof json.budget !== 'number' || !turnsOk) {
    throw new UsageError(`--conversation ${path} is not a LongRepo conversation file; name a new file to start one`);
  }
  return json as ConversationFile;
}

function packedLine(event: Extract<AskEvent, { type: 'packed' }>, backend: ChatBackend): string {
  const lines = [`longrepo: ${describePack(event)}; asking ${backend.label}\n`];
  const redacted = describeRedactions(event.redactions);
  if (event.redactions === null && !backend.local) lines.push('longrepo: secret redaction is off (--no-redact): the files are sent as they are\n');
  else if (redacted) lines.push(`longrepo: ${redacted}; --no-redact sends them as they are\n`);
  return lines.join('');
}

/** The citations after the answer, each marked: ✓ valid, ~ corrected (to where), ✗ invalid (why). */
export function formatCitations(citations: readonly VerifiedCitation[]): string {
  if (citations.length === 0) return '\ncitations: none\n';
  const span = (c: { path: string; start: number; end: number }): string => `${c.path}:${c.start}${c.end !== c.start ? `-${c.end}` : ''}`;
  const lines = citations.map((c) => c.status === 'valid' ? `  ✓ ${span(c)}`
    : c.status === 'corrected' ? `  ~ ${span(c)} → ${span(c.corrected!)} (${c.reason})` : `  ✗ ${span(c)}: ${c.reason}`);
  const valid = citations.filter((c) => c.valid).length;
  return `\ncitations (${valid} of ${citations.length} valid):\n${lines.join('\n')}\n`;
}

function usageLine(result: AskResult): string {
  const n = (value: number | undefined): string => (value === undefined ? '?' : value.toLocaleString('en-US'));
  const s = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const cached = result.usage.cachedTokens !== undefined ? ` (${n(result.usage.cachedTokens)} cached)` : '';
  const kept = result.usage.cacheBytes !== undefined ? `, ${(result.usage.cacheBytes / 2 ** 20).toFixed(1)} MiB of KV cache kept` : '';
  return `longrepo: ${n(result.usage.promptTokens)} prompt tokens${cached}, ${n(result.usage.completionTokens)} answer tokens${kept}; ` +
    `packed in ${s(result.timings.packMs)}, first token after ${s(result.timings.ttftMs)}, ${s(result.timings.totalMs)} in all`;
}

/** The `--json` object of DESIGN.md, plus what a script may want beside it. */
function jsonResult(result: AskResult, endpoint: string): object {
  return {
    answer: result.answer,
    citations: result.citations.map((c) => ({
      path: c.path, start: c.start, end: c.end, valid: c.valid, reason: c.reason, status: c.status,
      ...(c.corrected ? { corrected: c.corrected } : {}),
    })),
    usage: { promptTokens: result.usage.promptTokens ?? null, cachedTokens: result.usage.cachedTokens ?? null, completionTokens: result.usage.completionTokens ?? null },
    timings: result.timings,
    finishReason: result.finishReason,
    endpoint,
    window: result.window,
    redactions: result.redactions,
    packed: { files: result.manifest.files.filter((f) => f.level !== 'omitted').length, tokens: result.manifest.totalTokens, budget: result.manifest.budget },
  };
}

function parseTemperature(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 2) throw new InvalidArgumentError(`--temperature must be a number from 0 to 2, not "${text}"`);
  return value;
}

function parseSeconds(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`--timeout must be a number of seconds above 0, not "${text}"`);
  return value;
}

function parseSeed(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`--seed must be a whole number, not "${text}"`);
  return value;
}

/**
 * The local model's folder: --model-dir, else the default model, downloaded on first use after a yes (asked
 * on a terminal, or --yes); without one, a message that says how to get it.
 */
async function localModelDir(flags: AskFlags, notices: boolean, signal: AbortSignal): Promise<string> {
  if (flags.modelDir) return resolve(flags.modelDir);
  const { id, dtype, approxBytes } = DEFAULT_LOCAL_MODEL;
  const dir = modelDir(id);
  if (await isModelComplete(dir, dtype)) return dir;
  const size = `about ${(approxBytes / 1e9).toFixed(1)} GB`;
  if (!flags.yes) {
    const interactive = process.stdin.isTTY && process.stderr.isTTY;
    const answer = interactive ? await askYesNo(`No model server is configured. Download the default local model ${id} (${dtype}, ${size}) into ${dir}? [y/N] `) : false;
    if (!answer) {
      throw new UsageError(`no model server is configured and the default local model is not downloaded: run \`longrepo model download ${id}\` (${size}), ` +
        'pass --yes to download it now, or pass --endpoint URL of a model server');
    }
  }
  await downloadWithProgress(id, dtype, notices, signal);
  return dir;
}

function askYesNo(question: string): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only to ask (loading it took ~1 ms of every start)
  const { createInterface } = require('node:readline') as typeof import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}

function parseCount(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0 || value > 20) throw new InvalidArgumentError(`--retries must be a whole number from 0 to 20, not "${text}"`);
  return value;
}
