import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../errors.js';
import type { RenderSettings } from '../render/render.js';
import type { AnalyseJob, AnalyseResult } from './job.js';

const BATCH_CHARS = 256 * 1024;

export interface PoolOptions {
  settings: RenderSettings;
  tokenizer: string;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (files: number, tokens: number) => void;
}

/**
 * Starts one analysis worker: `worker.js` next to the bundle, or, when this module runs from source
 * (tests through tsx), `worker.ts` loaded through tsx's require hook.
 */
function startWorker(workerData: unknown): Worker {
  const built = join(__dirname, 'worker.js');
  if (existsSync(built)) return new Worker(built, { workerData });
  const source = join(__dirname, '..', 'worker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true, workerData });
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/** Runs the jobs on a pool of worker threads; results come back in the jobs' order. */
export async function analyseInWorkers(jobs: readonly AnalyseJob[], options: PoolOptions): Promise<AnalyseResult[]> {
  const results: AnalyseResult[] = new Array(jobs.length);
  const batches: { id: number; start: number; jobs: AnalyseJob[] }[] = [];
  let current: AnalyseJob[] = [];
  let chars = 0;
  let start = 0;
  jobs.forEach((job, i) => {
    current.push(job);
    chars += job.text.length;
    if (chars >= BATCH_CHARS) {
      batches.push({ id: batches.length, start, jobs: current });
      current = [];
      chars = 0;
      start = i + 1;
    }
  });
  if (current.length > 0) batches.push({ id: batches.length, start, jobs: current });
  const threads = Math.min(options.threads ?? defaultThreads(), batches.length);
  if (threads === 0) return results;

  const workers = Array.from({ length: threads }, () => startWorker({ settings: options.settings, tokenizer: options.tokenizer }));
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new CancelledError());
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const feed = (worker: Worker): void => {
        const batch = batches[next++];
        if (batch) worker.postMessage({ id: batch.id, jobs: batch.jobs });
      };
      for (const worker of workers) {
        worker.on('message', (message: { id: number; results?: AnalyseResult[]; error?: string }) => {
          if (message.error !== undefined) return reject(new Error(`analysis worker failed: ${message.error}`));
          const batch = batches[message.id]!;
          message.results!.forEach((result, i) => (results[batch.start + i] = result));
          done++;
          options.onProgress?.(batch.jobs.length, message.results!.reduce((sum, r) => sum + (r.tokens ?? 0), 0));
          if (done === batches.length) resolve();
          else feed(worker);
        });
        worker.on('error', (error) => reject(new Error(`analysis worker failed: ${error.message}`)));
        worker.on('exit', (code) => {
          if (done < batches.length && code !== 0) reject(new Error(`analysis worker exited with code ${code}`));
        });
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
