import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_FILE_BYTES } from '../packer/discover/discover.js';
import { checkOutputPath, writeOutputs } from '../packer/output/writeOutputs.js';
import { pack, type PackProgress } from '../packer/pack.js';
import { LINE_NUMBER_MODES, PROMPT_FORMATS, type LineNumberMode, type PromptFormat } from '../packer/render/render.js';
import { ORDER_HELP, parseOrder } from '../packer/order/order.js';
import { ProgressDisplay } from './progress.js';
import { formatSummary } from './summary.js';
import { cancelOnInterrupt } from './interrupt.js';

interface PackFlags {
  output?: string;
  manifest?: string;
  order: string;
  budget?: number;
  question?: string;
  tokenizer: string;
  format: PromptFormat;
  lineNumbers: LineNumberMode;
  maxFileBytes: number;
  defaultExcludes: boolean;
  cache: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** `128000`, `128k`, `1m` (k = 1,000, K… also 1,000; use an exact number for powers of two). */
export function parseTokenCount(text: string, flag = '--budget'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(text);
  const unit = match?.[2]?.toLowerCase();
  const value = match ? Number(match[1]) * (unit === 'k' ? 1000 : unit === 'm' ? 1_000_000 : 1) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`${flag} must be a whole number of tokens above 0 (e.g. 131072 or 128k), not "${text}"`);
  }
  return value;
}

function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?)?\s*$/i.exec(text);
  const unit = (match?.[2] ?? 'b').toLowerCase()[0];
  const value = match ? Math.round(Number(match[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1)) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidArgumentError(`--max-file-bytes must be a size such as 1048576, 512k or 2m, not "${text}"`);
  return value;
}

export function registerPackCommand(program: Command): void {
  program
    .command('pack')
    .description('pack a repository into one prompt, dependencies first, with a manifest of what went in and what was left out')
    .argument('[dir]', 'the repository directory', '.')
    .option('-o, --output <file>', 'write the prompt to FILE (default: standard output)')
    .option('--manifest <file>', 'write the JSON manifest to FILE')
    .option('--order <order>', `file order: ${ORDER_HELP}`, (value) => {
      try {
        parseOrder(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      return value;
    }, 'dependency')
    .option('--budget <tokens>', 'largest prompt allowed, in tokens (e.g. 131072 or 128k); a larger repository is fitted: the files that matter in full, others as signatures, the rest listed', (v) => parseTokenCount(v))
    .option('--question <text>', 'the question the prompt is for: ranks the files when the repository does not fit --budget')
    .option('--tokenizer <name>', 'cl100k, o200k, or the path of a Hugging Face tokenizer.json', 'cl100k')
    .addOption(new Option('--format <format>', 'prompt format').choices(PROMPT_FORMATS).default('xml'))
    .addOption(new Option('--line-numbers <mode>', 'line numbers in the prompt').choices(LINE_NUMBER_MODES).default('every'))
    .option('--max-file-bytes <size>', 'skip files larger than this', parseBytes, DEFAULT_MAX_FILE_BYTES)
    .option('--no-default-excludes', 'also pack lock files, build output, vendored, minified and binary-named files')
    .option('--no-cache', 'do not read or write the per-file cache')
    .option('--json', 'print the manifest as JSON on standard output (the prompt goes to -o)')
    .option('-q, --quiet', 'no progress and no summary')
    .action(async (dir: string, flags: PackFlags) => {
      if (flags.json && !flags.output) {
        throw new InvalidArgumentError('--json prints the manifest on standard output, so the prompt needs -o FILE');
      }
      if (flags.output) await checkOutputPath(resolve(flags.output), '-o');
      if (flags.manifest) await checkOutputPath(resolve(flags.manifest), '--manifest');
      const showProgress = !flags.json && !flags.quiet && process.stderr.isTTY === true;
      const display = showProgress ? new ProgressDisplay(process.stderr) : undefined;
      const signal = cancelOnInterrupt();
      let result;
      try {
        result = await pack(resolve(dir), {
          order: flags.order, budget: flags.budget, question: flags.question, tokenizer: flags.tokenizer, format: flags.format,
          lineNumbers: flags.lineNumbers, maxFileBytes: flags.maxFileBytes, defaultExcludes: flags.defaultExcludes,
          cacheDir: flags.cache ? undefined : null, signal, mainThreadHelps: true,
          outputs: [flags.output, flags.manifest].filter((p): p is string => !!p).map((p) => resolve(p)),
          onProgress: display ? (p: PackProgress) => display.update(p) : undefined,
        });
      } finally {
        display?.stop();
      }
      const manifestJson = JSON.stringify(result.manifest, null, 2) + '\n';
      const outputs = [];
      if (flags.output) outputs.push({ path: resolve(flags.output), data: result.pieces() });
      if (flags.manifest) outputs.push({ path: resolve(flags.manifest), data: manifestJson });
      await writeOutputs(outputs);
      if (flags.json) process.stdout.write(manifestJson);
      else if (!flags.output) await writeToStdout(result.pieces());
      if (!flags.quiet && !flags.json) process.stderr.write(formatSummary(result, flags.output) + '\n');
    });
}

/** Writes the prompt to stdout piece by piece, waiting when the reader (a pipe) is slower. */
async function writeToStdout(pieces: Iterable<string | Buffer>): Promise<void> {
  for (const piece of pieces) {
    if (!process.stdout.write(piece)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}
