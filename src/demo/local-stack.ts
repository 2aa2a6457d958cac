/**
 * `npm start` (through scripts/start-local.sh): runs the local stack until Ctrl-C, SIGTERM or
 * SIGHUP (a closed terminal). A second Ctrl-C stops at once (the dev server is killed when this
 * process exits). Under npm a single Ctrl-C arrives twice (from the terminal and forwarded by
 * npm): signals in the first seconds after the first one count as that one.
 */
import { fileURLToPath } from 'node:url';
import { redact } from '../errors/redact.js';
import { demoSettingsFrom } from './demo-settings.js';
import { streamDemoLog } from './demo-log.js';
import { runLocalStack } from './run-local-stack.js';

/** Signals this soon after the first one are its echo, not a second Ctrl-C. */
const SAME_SIGNAL_WINDOW_MS = 2_000;

async function main(): Promise<void> {
  const log = streamDemoLog();
  const shutdown = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown.signal.aborted) {
      if (Date.now() - firstSignalAt < SAME_SIGNAL_WINDOW_MS) return;
      log('demo', `${signal} again: stopping at once`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    log('demo', `${signal}: stopping (Ctrl-C again to stop at once) ...`);
    shutdown.abort();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  const root = fileURLToPath(new URL('../..', import.meta.url));
  const settings = demoSettingsFrom(process.env, root);
  await runLocalStack({
    settings,
    env: process.env,
    log,
    shutdown: shutdown.signal,
    startedAt: performance.timeOrigin,
  });
  log('demo', 'stopped');
  // Everything is stopped; the SDK's native threads (a connection still retrying a stopped
  // server) must not keep the process alive after that.
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${redact(err instanceof Error ? err.message : String(err))}`);
  process.exit(1);
});
