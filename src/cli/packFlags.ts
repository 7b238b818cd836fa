import { setFlagsFromString } from 'node:v8';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_FILE_BYTES } from '../packer/discover/discover.js';
import type { PackOptions } from '../packer/pack.js';
import { ORDER_HELP, parseOrder } from '../packer/order/order.js';
import { LINE_NUMBER_MODES, PROMPT_FORMATS, type LineNumberMode, type PromptFormat } from '../packer/render/render.js';

/** The flags that say how a repository is packed, shared by `pack` and `ask`. */
export interface PackFlags {
  order: string;
  tokenizer: string;
  format: PromptFormat;
  lineNumbers: LineNumberMode;
  maxFileBytes: number;
  defaultExcludes: boolean;
  cache: boolean;
}

export function addPackFlags(command: Command): Command {
  return command
    .option('--order <order>', `file order: ${ORDER_HELP}`, (value) => {
      try {
        parseOrder(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      return value;
    }, 'dependency')
    .option('--tokenizer <name>', 'cl100k, o200k, or the path of a Hugging Face tokenizer.json', 'cl100k')
    .addOption(new Option('--format <format>', 'prompt format').choices(PROMPT_FORMATS).default('xml'))
    .addOption(new Option('--line-numbers <mode>', 'line numbers in the prompt').choices(LINE_NUMBER_MODES).default('every'))
    .option('--max-file-bytes <size>', 'skip files larger than this', parseBytes, DEFAULT_MAX_FILE_BYTES)
    .option('--no-default-excludes', 'also pack lock files, build output, vendored, minified and binary-named files')
    .option('--no-cache', 'do not read or write the per-file cache');
}

export function packOptionsOf(flags: PackFlags): PackOptions {
  return {
    order: flags.order, tokenizer: flags.tokenizer, format: flags.format, lineNumbers: flags.lineNumbers,
    maxFileBytes: flags.maxFileBytes, defaultExcludes: flags.defaultExcludes, cacheDir: flags.cache ? undefined : null,
    mainThreadHelps: true, onWorkers: collectGarbageSooner,
  };
}

/**
 * While many files are analysed, V8's heaps grow by half before each full collection (`--heap-growing-percent=50`;
 * V8 otherwise chooses a factor of up to 4). A cold pack's peak is mostly garbage not yet collected (file texts read
 * and counted, rendered blocks), so in alternating runs this cut the peak of a cold pack of django from 330 to
 * 280 MB and of babel from 331 to 310 MB, for 1–6 % more time; growing by 100 % saved only 18–20 MB
 * (docs/BENCHMARKS.md). Set only once worker threads start (they share the flag: V8's flags are per process),
 * since a warm pack lost ~6 % to the extra collections; and only in the command's own process, never in VS Code's.
 */
function collectGarbageSooner(): void {
  setFlagsFromString('--heap-growing-percent=50');
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
