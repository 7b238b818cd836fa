import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread: `bundled` (a file name in dist/, next to the running bundle) or, when the caller runs
 * from source (tests through tsx), the TypeScript `source` loaded through tsx's require hook. node:worker_threads
 * loads with the first worker: a warm pack starts none, and loading it took ~2 ms of every start.
 */
export function startWorker(bundled: string, source: string, callerDir: string, workerData: unknown): Worker {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const built = join(callerDir, bundled);
  if (existsSync(built)) return new Worker(built, { workerData });
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true, workerData });
}
