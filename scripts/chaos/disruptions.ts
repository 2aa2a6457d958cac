/**
 * The disruptions a chaos run inflicts on the system itself (the service faults live in the
 * emulator and the proxies): the worker SIGKILLed again and again, and the Temporal server
 * restarted once, mid-run.
 */
import type { FaultPlan } from './fault-plan.js';
import { STREAMS, seededChoices } from './seeded-choices.js';
import type { ChaosTemporalServer } from './temporal-server.js';
import type { ChaosWorker } from './worker-process.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits `ms`, or less once `over()` says the chaos is over. */
async function pause(ms: number, over: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!over() && Date.now() < until) await delay(Math.min(250, until - Date.now()));
}

export interface WorkerKillerInput {
  worker: ChaosWorker;
  plan: FaultPlan;
  seed: number;
  /** True once the rotations are done: the killing stops. */
  over(): boolean;
  log(line: string): void;
}

/** After every pause drawn from the plan (worker uptime), SIGKILLs the worker and starts another. */
export async function keepKillingWorker(input: WorkerKillerInput): Promise<void> {
  const choices = seededChoices(input.seed, STREAMS.killTimer);
  while (!input.over()) {
    await pause(choices.between(input.plan.killPauseMs.min, input.plan.killPauseMs.max), input.over);
    if (input.over()) return;
    await input.worker.kill();
    await input.worker.start().catch((err: unknown) => input.log(`worker did not come back: ${String(err)}`));
  }
}

export interface ServerRestartInput {
  server: ChaosTemporalServer;
  plan: FaultPlan;
  /** When the rotations began (ms since the epoch). */
  chaosStart: number;
  /** Rotations finished so far. */
  finished(): number;
  over(): boolean;
  log(line: string): void;
}

/** Restarts the Temporal server once, at the plan's moment; resolves with the number of restarts (0 or 1). */
export async function restartServerOnce(input: ServerRestartInput): Promise<number> {
  const { plan } = input;
  while (!input.over()) {
    const due =
      input.finished() >= plan.serverRestartAfterRotations ||
      Date.now() - input.chaosStart >= plan.serverRestartAtMs;
    if (due) {
      input.log(`restarting the Temporal server (after ${input.finished()} rotations)`);
      const began = Date.now();
      await input.server.restart();
      input.log(`Temporal server back after ${((Date.now() - began) / 1000).toFixed(1)} s`);
      return 1;
    }
    await delay(250);
  }
  return 0;
}
