/** An AbortSignal that fires on the first Ctrl-C (or SIGTERM); a second one exits at once. */
export function cancelOnInterrupt(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
