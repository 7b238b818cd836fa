import { SingleBar } from 'cli-progress';
import type { PackProgress } from '../packer/pack.js';

const LABELS: Record<PackProgress['stage'], string> = { scan: 'reading ', analyse: 'counting' };

/** A progress bar on stderr: files read, then files analysed, with the tokens counted so far. */
export class ProgressDisplay {
  private readonly bar: SingleBar;
  private started = false;

  constructor(stream: NodeJS.WriteStream) {
    this.bar = new SingleBar({
      stream, format: '{stage} [{bar}] {value}/{total} files{tokens}', barsize: 30, hideCursor: true,
      clearOnComplete: true, fps: 10, barCompleteChar: '#', barIncompleteChar: '-',
    });
  }

  update(progress: PackProgress): void {
    const payload = {
      stage: LABELS[progress.stage],
      tokens: progress.tokens !== undefined ? ` | ${progress.tokens.toLocaleString('en-US')} tokens counted` : '',
    };
    if (!this.started) {
      this.bar.start(progress.total, progress.done, payload);
      this.started = true;
    }
    this.bar.setTotal(progress.total);
    this.bar.update(progress.done, payload);
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}
