import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const fetched = new Map<string, string>();

/** The unpacked tree of a Debian source package (fetched once, cached outside the checkout). */
export function corpusDir(pkg: string): string {
  const known = fetched.get(pkg);
  if (known) return known;
  let out: string;
  try {
    out = execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'fetch-corpus.sh'), pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`cannot fetch the Debian source package ${pkg} (needs the Debian mirror): ${stderr.trim() || (error as Error).message}`, { cause: error });
  }
  const dir = out.trim().split('\n').pop()!;
  fetched.set(pkg, dir);
  return dir;
}
