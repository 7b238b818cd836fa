import { formatBytes } from '../packer/discover/discover.js';
import type { PackResult } from '../packer/pack.js';

/** One line for stderr after a pack: what went in, how big it is, what was left out, where it went. */
export function formatSummary(result: PackResult, output: string | undefined): string {
  const { manifest, timings } = result;
  const n = (value: number): string => value.toLocaleString('en-US');
  const cycles = manifest.cycles.length > 0 ? `, ${n(manifest.cycles.length)} import cycles` : '';
  const where = output ? ` → ${output}` : '';
  const count = (level: string): number => manifest.files.filter((f) => f.level === level).length;
  const fitted = manifest.files.some((f) => f.level !== 'full')
    ? `, fitted to ${n(manifest.budget ?? 0)}: ${n(count('full'))} in full, ${n(count('signatures'))} as signatures, ${n(count('omitted'))} listed`
    : '';
  return `packed ${n(manifest.stats.files)} files (${formatBytes(manifest.stats.bytes)}) into ${n(manifest.totalTokens)} ` +
    `${manifest.tokenizer} tokens${fitted}, ${n(manifest.stats.edges)} import edges${cycles}, ${n(manifest.stats.skipped)} skipped, ` +
    `${manifest.order} order, in ${(timings.totalMs / 1000).toFixed(1)} s${where}`;
}
