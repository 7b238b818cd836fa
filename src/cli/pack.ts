import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { checkOutputPath, writeOutputs, type OutputData } from '../packer/output/writeOutputs.js';
import { pack, type PackProgress } from '../packer/pack.js';
import { addPackFlags, packOptionsOf, parseTokenCount, type PackFlags } from './packFlags.js';
import { ProgressDisplay } from './progress.js';
import { formatSummary } from './summary.js';
import { cancelOnInterrupt } from './interrupt.js';

interface PackCommandFlags extends PackFlags {
  output?: string;
  manifest?: string;
  budget?: number;
  question?: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerPackCommand(program: Command): void {
  addPackFlags(program
    .command('pack')
    .description('pack a repository into one prompt, dependencies first, with a manifest of what went in and what was left out')
    .argument('[dir]', 'the repository directory', '.')
    .option('-o, --output <file>', 'write the prompt to FILE (default: standard output)')
    .option('--manifest <file>', 'write the JSON manifest to FILE')
    .option('--budget <tokens>', 'largest prompt allowed, in tokens (e.g. 131072 or 128k); a larger repository is fitted: the files that matter in full, others as signatures, the rest listed', (v) => parseTokenCount(v))
    .option('--question <text>', 'the question the prompt is for: ranks the files when the repository does not fit --budget')
  )
    .option('--json', 'print the manifest as JSON on standard output (the prompt goes to -o)')
    .option('-q, --quiet', 'no progress and no summary')
    .action(async (dir: string, flags: PackCommandFlags) => {
      if (flags.json && !flags.output) {
        throw new InvalidArgumentError('--json prints the manifest on standard output, so the prompt needs -o FILE');
      }
      if (flags.output && flags.manifest && resolve(flags.output) === resolve(flags.manifest)) {
        throw new InvalidArgumentError(`-o and --manifest both name ${flags.output}: give the manifest a file of its own`);
      }
      if (flags.output) await checkOutputPath(resolve(flags.output), '-o');
      if (flags.manifest) await checkOutputPath(resolve(flags.manifest), '--manifest');
      const showProgress = !flags.json && !flags.quiet && process.stderr.isTTY === true;
      const display = showProgress ? new ProgressDisplay(process.stderr) : undefined;
      const signal = cancelOnInterrupt();
      let result;
      try {
        result = await pack(resolve(dir), {
          ...packOptionsOf(flags), budget: flags.budget, question: flags.question, signal,
          outputs: [flags.output, flags.manifest].filter((p): p is string => !!p).map((p) => resolve(p)),
          onProgress: display ? (p: PackProgress) => display.show(p) : undefined,
          promptToFile: flags.output !== undefined,
        });
      } finally {
        display?.stop();
      }
      // Made only when asked for (a large repository's manifest is megabytes of JSON), and for --manifest only once its
      // file is open: meanwhile the kernel may be copying the prompt (see storedPrompt).
      let json: string | undefined;
      const manifestJson = (): string => (json ??= JSON.stringify(result.manifest, null, 2) + '\n');
      const outputs: { path: string; data: OutputData }[] = [];
      // The prompt of an unchanged repository is the cache's block store, copied by the kernel (see storedPrompt).
      const { storedPrompt } = result;
      if (flags.output) outputs.push({ path: resolve(flags.output), data: storedPrompt ? { copy: storedPrompt, pieces: () => result.pieces() } : result.pieces() });
      if (flags.manifest) outputs.push({ path: resolve(flags.manifest), data: (function* () { yield manifestJson(); })() });
      try {
        await writeOutputs(outputs);
      } finally {
        result.close();
      }
      if (flags.json) process.stdout.write(manifestJson());
      else if (!flags.output) await writeToStdout(result.pieces());
      if (!flags.quiet) for (const notice of result.notices) process.stderr.write(`longrepo: ${notice}\n`);
      if (!flags.quiet && !flags.json) process.stderr.write(formatSummary(result, flags.output) + '\n');
    });
}

/** Writes the prompt to stdout piece by piece, waiting when the reader (a pipe) is slower. */
async function writeToStdout(pieces: Iterable<string | Buffer>): Promise<void> {
  for (const piece of pieces) {
    if (!process.stdout.write(piece)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}
