/** A problem with what the user asked for: printed as one line naming the problem and the way out, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The operation was cancelled (Ctrl-C in the CLI, Cancel in the editor). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(message = 'cancelled') {
    super(message);
  }
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}
