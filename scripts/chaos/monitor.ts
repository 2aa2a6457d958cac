/**
 * The invariant watched while the chaos runs: at every instant, every destination holds a key that
 * is live at the emulator. Several times a second it reads every destination directly, then the
 * emulator's keys through its control API, and flags a key that was already deleted (or disabled,
 * or expired) when the destination read began. A key deleted during the read is inconclusive, not
 * a violation: it may have been replaced in that same instant.
 */
import { hashOfKey } from '../../src/openrouter/hash.js';
import { labelOfKey } from '../../src/errors/redact.js';
import type { EmulatedKeySnapshot, EmulatorStateSnapshot } from '../../src/emulator/server.js';
import type { ChaosDestinations } from './destinations.js';
import type { ViolationKind, Violations } from './violations.js';

export interface MonitorOptions {
  destinations: ChaosDestinations;
  names: readonly string[];
  /** The emulator's state, from its control API. */
  readState(): Promise<EmulatorStateSnapshot>;
  violations: Violations;
  /** Pause between the starts of two checks. @default 250 */
  intervalMs?: number;
  /** Hears every state read (e.g. to write the emulator's request log). */
  onState?(state: EmulatorStateSnapshot): void;
  log(line: string): void;
}

export interface MonitorFigures {
  /** Rounds in which every destination was read and checked. */
  checks: number;
  /** Destination readings checked. */
  readings: number;
  /** Readings of a key deleted while the round read it (neither pass nor violation). */
  inconclusive: number;
  /** Rounds that failed to read a destination or the emulator (not counted as checks). */
  readErrors: number;
  /** Hashes of every key a destination was seen holding. */
  heldKeyHashes: Set<string>;
}

export interface Monitor {
  /** One round now (also used by the final audit). */
  checkOnce(): Promise<void>;
  stop(): Promise<MonitorFigures>;
}

/** Why `key` could not be used at `instant` (ms), or undefined when it could. */
function deadReason(key: EmulatedKeySnapshot, instant: number): string | undefined {
  if (key.deleted_at !== null && Date.parse(key.deleted_at) <= instant) return `deleted at ${key.deleted_at}`;
  if (key.disabled) return 'disabled';
  if (key.expires_at !== null && Date.parse(key.expires_at) <= instant) return `expired at ${key.expires_at}`;
  return undefined;
}

export function startMonitor(options: MonitorOptions): Monitor {
  const figures: MonitorFigures = {
    checks: 0,
    readings: 0,
    inconclusive: 0,
    readErrors: 0,
    heldKeyHashes: new Set(),
  };
  const reported = new Set<string>();
  const report = (kind: ViolationKind, destination: string, what: string, detail: string) => {
    // One violation per destination, key and kind: the same dead key seen ten times is one event.
    const id = `${kind}|${destination}|${what}`;
    if (reported.has(id)) return;
    reported.add(id);
    options.violations.add(kind, detail);
  };

  async function checkOnce(): Promise<void> {
    const readStarted = Date.now();
    let readings;
    let state;
    try {
      readings = await options.destinations.readAll(options.names);
      state = await options.readState();
    } catch (err) {
      figures.readErrors += 1;
      if (figures.readErrors <= 5) options.log(`monitor: a read failed: ${String(err)}`);
      return;
    }
    options.onState?.(state);
    const byHash = new Map(state.keys.map((k) => [k.hash, k]));
    const readAt = new Date(readStarted).toISOString();
    for (const list of readings.values()) {
      for (const { destination, value } of list) {
        figures.readings += 1;
        if (value === undefined) {
          report('empty-destination', destination, '', `${destination} held no key (read at ${readAt})`);
          continue;
        }
        const hash = hashOfKey(value);
        figures.heldKeyHashes.add(hash);
        const key = byHash.get(hash);
        if (!key) {
          report(
            'unknown-key-held',
            destination,
            hash,
            `${destination} held ${labelOfKey(value)}, unknown to the emulator`,
          );
          continue;
        }
        const dead = deadReason(key, readStarted);
        if (dead) {
          report(
            'dead-key-held',
            destination,
            hash,
            `${destination} held ${key.label}, ${dead} (read began ${readAt})`,
          );
        } else if (key.deleted_at !== null) {
          figures.inconclusive += 1;
        }
      }
    }
    figures.checks += 1;
  }

  let stopped = false;
  let wake = () => undefined as void;
  const loop = (async () => {
    const interval = options.intervalMs ?? 250;
    while (!stopped) {
      const started = Date.now();
      await checkOnce();
      const pause = Math.max(0, interval - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  return {
    checkOnce,
    async stop() {
      stopped = true;
      wake();
      await loop;
      return figures;
    },
  };
}
