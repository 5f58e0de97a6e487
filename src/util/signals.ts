/**
 * Listens for SIGINT and SIGTERM from now on: `stopped` settles at the first of them, `dispose` stops
 * listening. A process listens before it says it runs: a supervisor (or a test) that stops it the moment it
 * reads that line must not meet the default action, which kills at once.
 */
export function listenForStop(): { stopped: Promise<void>; dispose(): void } {
  let signalled!: () => void;
  const stopped = new Promise<void>((resolve) => {
    signalled = resolve;
  });
  const dispose = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  const stop = () => {
    dispose();
    signalled();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { stopped, dispose };
}
