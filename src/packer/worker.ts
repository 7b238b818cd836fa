// Worker thread entry: analyses and counts batches of files for the pack's worker pool.
import { parentPort, workerData } from 'node:worker_threads';
import { runAnalyseJob, type AnalyseJob } from './analyse/job.js';
import type { RenderSettings } from './render/render.js';
import { loadTokenCounter, type TokenCounter } from './tokens/tokenizer.js';

interface WorkerConfig {
  settings: RenderSettings;
  tokenizer: string;
}

const config = workerData as WorkerConfig;
// Loaded at once, so the rank tables are ready while the main thread is still reading files.
const counter: TokenCounter = loadTokenCounter(config.tokenizer);

parentPort?.on('message', (batch: { id: number; jobs: AnalyseJob[] }) => {
  try {
    const results = batch.jobs.map((job) => runAnalyseJob(job, config.settings, counter));
    // The blocks' buffers move to the main thread instead of being copied.
    const transfer = results.flatMap((r) => (r.block ? [r.block.buffer as ArrayBuffer] : []));
    parentPort!.postMessage({ id: batch.id, results }, transfer);
  } catch (error) {
    parentPort!.postMessage({ id: batch.id, error: (error as Error).message });
  }
});
