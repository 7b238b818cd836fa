import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { CancelledError } from '../errors.js';
import { startWorker } from '../startWorker.js';
import type { RenderSettings } from '../render/render.js';
import type { AnalyseJob, AnalyseResult } from './job.js';

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}


/**
 * Batches posted to a worker ahead of time. A worker's next batch is posted by the main thread's event loop,
 * which is busy for a while when the CLI's main thread counts a batch itself: with one batch posted the worker
 * sat idle meanwhile (a third of a cold django pack); with a second one waiting it goes straight on.
 */
const POSTED_PER_WORKER = 2;

interface Batch {
  id: number;
  jobs: AnalyseJob[];
  resolve: (results: AnalyseResult[]) => void;
  reject: (error: Error) => void;
}

/**
 * Worker threads that analyse batches of files (imports, token counts) while the main thread keeps
 * reading: batches are queued as discovery produces them and taken by whichever worker is free.
 */
export class AnalysisPool {
  private readonly workers: Worker[] = [];
  /** Batches posted to each worker and not yet answered. */
  private readonly posted = new Map<Worker, number>();
  private readonly queue: Batch[] = [];
  private readonly running = new Map<number, Batch>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(options: { settings: RenderSettings; tokenizer: string; threads: number; signal?: AbortSignal }) {
    for (let i = 0; i < options.threads; i++) {
      const worker = startWorker('worker.js', join(__dirname, '..', 'worker.ts'), __dirname, { settings: options.settings, tokenizer: options.tokenizer });
      worker.on('message', (message: { id: number; results?: AnalyseResult[]; error?: string }) => {
        const batch = this.running.get(message.id);
        this.running.delete(message.id);
        this.posted.set(worker, this.posted.get(worker)! - 1);
        if (message.error !== undefined) this.fail(new Error(`analysis worker failed: ${message.error}`));
        else batch?.resolve(message.results!);
        this.feed(worker);
      });
      worker.on('error', (error) => this.fail(new Error(`analysis worker failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (code !== 0 && (this.running.size > 0 || this.queue.length > 0)) this.fail(new Error(`analysis worker exited with code ${code}`));
      });
      this.workers.push(worker);
      this.posted.set(worker, 0);
    }
    const signal = options.signal;
    signal?.addEventListener('abort', () => this.fail(new CancelledError()), { once: true });
  }

  /** Queues a batch; resolves with its results in the jobs' order. */
  run(jobs: AnalyseJob[]): Promise<AnalyseResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, jobs, resolve, reject });
      // One batch to each worker before a second to any.
      for (let depth = 1; depth <= POSTED_PER_WORKER; depth++) for (const worker of this.workers) this.feed(worker, depth);
    });
  }

  /**
   * Takes a queued batch for the caller to run itself (the CLI's main thread helps once it has read
   * every file); the caller must settle it with `complete`.
   */
  steal(): { jobs: AnalyseJob[]; complete: (results: AnalyseResult[]) => void } | undefined {
    const batch = this.queue.shift();
    return batch && { jobs: batch.jobs, complete: batch.resolve };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Posts queued batches to `worker` until it has `depth` unanswered. */
  private feed(worker: Worker, depth = POSTED_PER_WORKER): void {
    let posted = this.posted.get(worker)!;
    while (posted < depth && this.queue.length > 0 && !this.failure) {
      const batch = this.queue.shift()!;
      this.running.set(batch.id, batch);
      worker.postMessage({ id: batch.id, jobs: batch.jobs });
      posted++;
    }
    this.posted.set(worker, posted);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const batch of [...this.running.values(), ...this.queue]) batch.reject(error);
    this.running.clear();
    this.queue.length = 0;
  }
}
