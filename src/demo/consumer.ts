/**
 * A small simulated app for the demo: it reads its OpenRouter key from the rotation's file
 * destination and sends one chat completion per second with it. It logs when something changes
 * (a new key, requests starting to fail or working again) and once a minute a one-line summary of
 * how many requests went out with which key (by label, never the key). Its traffic is what the emulator's
 * usage counters show moving from the old key to the new one, and what the rotation's
 * `requireTrafficMoved` check waits for.
 */
import { formatElapsed } from '../client/output/format-time.js';
import { labelOfKey } from '../errors/redact.js';
import { KeyFileWatcher } from './key-file-watcher.js';

export interface ConsumerOptions {
  /** The dotenv file the app reads its key from. */
  keyFile: string;
  /** Variable of the file that holds the key. @default "OPENROUTER_API_KEY" */
  field?: string;
  /** OpenRouter API base URL, e.g. the emulator's `http://127.0.0.1:8787/api/v1`. */
  apiBaseUrl: string;
  /** Between two requests. @default 1000 */
  requestIntervalMs?: number;
  /** Between two summary lines. @default 60000 */
  reportIntervalMs?: number;
  /** Fallback poll of the key file. @default 2000 */
  filePollIntervalMs?: number;
  /** Where the app's lines go (already free of keys). */
  log: (line: string) => void;
}

/** Requests since the last summary, by key label. */
export interface ConsumerCounts {
  ok: Map<string, number>;
  failed: Map<string, number>;
  /** Requests not sent because the file held no key. */
  noKey: number;
}

export interface RunningConsumer {
  /** Totals since start. */
  totals(): ConsumerCounts;
  stop(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 5_000;

function emptyCounts(): ConsumerCounts {
  return { ok: new Map(), failed: new Map(), noKey: 0 };
}

function bump(counts: Map<string, number>, label: string): void {
  counts.set(label, (counts.get(label) ?? 0) + 1);
}

function describeCounts(counts: ConsumerCounts): string {
  const parts = [...counts.ok].map(([label, n]) => `${n} ok with ${label}`);
  parts.push(...[...counts.failed].map(([label, n]) => `${n} refused with ${label}`));
  if (counts.noKey > 0) parts.push(`${counts.noKey} not sent (no key in the file)`);
  return parts.length > 0 ? parts.join(', ') : 'no requests';
}

/** What the last request came to, for "print on change": the same outcome twice is no news. */
function outcomeOf(kind: 'ok' | 'failed' | 'no-key', label: string | undefined, detail: string): string {
  if (kind === 'no-key') return 'requests wait: the file holds no key';
  return kind === 'ok' ? `requests with ${label} work` : `requests with ${label} fail (${detail})`;
}

export function startConsumer(options: ConsumerOptions): RunningConsumer {
  const requestIntervalMs = options.requestIntervalMs ?? 1_000;
  const reportIntervalMs = options.reportIntervalMs ?? 60_000;
  let lastOutcome: string | undefined;
  const noteOutcome = (outcome: string) => {
    if (outcome === lastOutcome) return;
    lastOutcome = outcome;
    options.log(outcome);
  };
  const totals = emptyCounts();
  let window = emptyCounts();
  const keys = new KeyFileWatcher({
    file: options.keyFile,
    field: options.field,
    pollIntervalMs: options.filePollIntervalMs,
    onChange: (key, previous) => {
      if (key === undefined) options.log(`no key in ${options.keyFile} yet; waiting for one`);
      else if (previous === undefined) options.log(`using key ${labelOfKey(key)} from ${options.keyFile}`);
      else
        options.log(
          `picked up the new key ${labelOfKey(key)} from ${options.keyFile} (was ${labelOfKey(previous)})`,
        );
    },
  });
  let stopped = false;
  /** The request under way; a tick that finds one skips (a slow server never queues requests up). */
  let inFlight: Promise<void> | undefined;

  const record = (kind: 'ok' | 'failed', label: string) => {
    bump(totals[kind], label);
    bump(window[kind], label);
  };

  async function sendOne(): Promise<void> {
    const key = await keys.current().catch(() => undefined);
    if (key === undefined) {
      totals.noKey++;
      window.noKey++;
      noteOutcome(outcomeOf('no-key', undefined, ''));
      return;
    }
    const label = labelOfKey(key);
    try {
      const res = await fetch(`${options.apiBaseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openrouter/auto', messages: [{ role: 'user', content: 'ping' }] }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      record(res.ok ? 'ok' : 'failed', label);
      noteOutcome(outcomeOf(res.ok ? 'ok' : 'failed', label, `HTTP ${res.status}`));
      // A refused key may have been rotated away under us: look at the file again right now.
      if (res.status === 401) await keys.reload().catch(() => undefined);
    } catch (err) {
      record('failed', label);
      noteOutcome(outcomeOf('failed', label, err instanceof Error ? err.message : String(err)));
    }
  }

  const requests = setInterval(() => {
    if (stopped || inFlight) return;
    inFlight = sendOne().finally(() => (inFlight = undefined));
  }, requestIntervalMs);
  const reports = setInterval(() => {
    options.log(`last ${formatElapsed(reportIntervalMs)}: ${describeCounts(window)}`);
    window = emptyCounts();
  }, reportIntervalMs);
  void keys.current().catch(() => undefined);

  return {
    totals: () => totals,
    async stop() {
      stopped = true;
      clearInterval(requests);
      clearInterval(reports);
      keys.close();
      await inFlight;
    },
  };
}
