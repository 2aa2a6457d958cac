/**
 * How the long-running commands (worker, codec server, emulator) stop: the first SIGINT or SIGTERM
 * asks them to stop gracefully, a second one ends the process at once (a shutdown that hangs must
 * not need SIGKILL).
 */
import { constants } from 'node:os';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface RunUntilSignalOptions {
  /**
   * Stops `run` instead of the process's signals, for a caller that owns stopping (`npm start`,
   * tests): then no signal handler is installed. @default SIGINT/SIGTERM of this process
   */
  signal?: AbortSignal;
}

/**
 * Runs `run` with a signal that the first SIGINT/SIGTERM aborts; `run` then stops gracefully and
 * returns. A second signal exits at once with the shell's code for it (130 for SIGINT, 143 for
 * SIGTERM). The handlers are installed once and removed when `run` settles.
 */
export async function runUntilSignal(
  run: (signal: AbortSignal) => Promise<void>,
  options: RunUntilSignalOptions = {},
): Promise<void> {
  if (options.signal) return run(options.signal);
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(128 + constants.signals[name]);
    controller.abort(new Error(`stopped by ${name}`));
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  try {
    await run(controller.signal);
  } finally {
    for (const name of STOP_SIGNALS) process.off(name, onSignal);
  }
}

/** Resolves once `signal` is aborted (at once if it already is). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
