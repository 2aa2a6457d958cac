/**
 * `npm start`: the whole product on one machine, offline. In order: a Temporal dev server (state in
 * the data folder, Web UI on), the OpenRouter emulator (unless a real management key is set), the
 * worker in-process under a policy allowing just that OpenRouter and the data folder's secrets/, on first start a hand-made 30-day-old key in the app's file, `key-rotator
 * apply` of the example, one trigger of the schedule (the same path as a daily wake-up), a small
 * consumer app, and a live view of the rotation's steps. SIGINT/SIGTERM stop everything in reverse
 * order; the next start resumes from the data folder.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_TEMPORAL_ADDRESS, connectTemporal } from '../client/temporal-client.js';
import { rotationTaskQueue } from '../client/workflow-names.js';
import { CODEC_KEY_FILE_ENV, DEV_KEYRING_PATH } from '../codec/keyring.js';
import { ensureTemporalCli } from '../dev/temporal-cli.js';
import { freePort, startTemporalDevServer } from '../dev/temporal-dev-server.js';
import { POLICY_ENV } from '../policy/load-worker-policy.js';
import { runWorker } from '../worker/run-worker.js';
import { rotationScheduleId } from '../workflow-contract/messages.js';
import { applyDemoConfig } from './apply-demo-config.js';
import { startConsumer } from './consumer.js';
import { writeDemoConfig } from './demo-config.js';
import { startDemoCodecServer } from './demo-codec-server.js';
import { demoCodecKey, demoEnvironment, demoSealingKey } from './demo-environment.js';
import type { DemoLog } from './demo-log.js';
import { writeDemoPolicy } from './demo-policy.js';
import { DEMO_ROTATION, MANAGEMENT_KEY_ENV, displayPath, type DemoSettings } from './demo-settings.js';
import { HAND_MADE_KEY_AGE_DAYS, seedHandMadeKey } from './hand-made-key.js';
import { startOpenRouterSide } from './openrouter-side.js';
import { ownSessionCli } from './own-session-cli.js';
import { cleanUpAfterKilledRun, removePidFile, writePidFile } from './pid-file.js';
import { ensurePortFree, metricsAddressFor } from './ports.js';
import { watchRotation } from './rotation-watcher.js';
import { whereToLookLines } from './where-to-look.js';
import { waitForWorkerPolling } from './worker-readiness.js';
import { installDemoRuntime } from './worker-runtime.js';

export interface LocalStackOptions {
  settings: DemoSettings;
  /** The user's environment. */
  env: NodeJS.ProcessEnv;
  log: DemoLog;
  /** Aborted by SIGINT/SIGTERM: start-up stops after its current step, a running stack stops. */
  shutdown: AbortSignal;
  /** When `npm start` began (its start-up time is measured from here). @default now */
  startedAt?: number;
}

/** How long the worker gets to finish its current tasks on shutdown. */
const WORKER_STOP_TIMEOUT_MS = 30_000;

/** Cleanup steps, run newest first, each on its own (one failing does not skip the others). */
class Teardown {
  readonly #steps: { what: string; run: () => Promise<unknown> }[] = [];
  constructor(private readonly log: DemoLog) {}

  add(what: string, run: () => Promise<unknown>): void {
    this.#steps.push({ what, run });
  }

  async run(): Promise<void> {
    for (const step of this.#steps.reverse()) {
      try {
        await step.run();
      } catch (err) {
        this.log('demo', `could not stop ${step.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs the worker until the teardown stops it; resolves with the reason it ended (settled as a
 * value, so a worker that dies early is reported instead of crashing the process).
 */
function startWorker(env: NodeJS.ProcessEnv, teardown: Teardown, log: DemoLog): Promise<Error> {
  const stop = new AbortController();
  const ended = runWorker({ signal: stop.signal, env, allowDevKey: true }).then(
    () => new Error('the worker stopped'),
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  teardown.add('the worker', async () => {
    stop.abort();
    await withTimeout(ended, WORKER_STOP_TIMEOUT_MS, 'the worker shutdown');
    log('worker', 'stopped');
  });
  return ended;
}

/** What the CLI needs in another terminal to reach this demo, beyond its defaults (no credential: the worker holds them). */
function cliVariables(settings: DemoSettings, env: NodeJS.ProcessEnv): { cliEnv: Record<string, string> } {
  const cliEnv: Record<string, string> = {};
  if (env.TEMPORAL_ADDRESS !== DEFAULT_TEMPORAL_ADDRESS) cliEnv.TEMPORAL_ADDRESS = env.TEMPORAL_ADDRESS ?? '';
  const keyring = env[CODEC_KEY_FILE_ENV];
  if (keyring && keyring !== path.join(settings.root, DEV_KEYRING_PATH))
    cliEnv[CODEC_KEY_FILE_ENV] = displayPath(settings, keyring);
  return { cliEnv };
}

export async function runLocalStack(options: LocalStackOptions): Promise<void> {
  const { settings, log, shutdown } = options;
  const { paths } = settings;
  const startedAt = options.startedAt ?? Date.now();
  const teardown = new Teardown(log);
  const show = (file: string) => displayPath(settings, file);
  try {
    await cleanUpAfterKilledRun(paths.pids, paths.temporalDb, log);
    await ensurePortFree(settings.temporalPort, 'the Temporal dev server', 'KEY_ROTATOR_DEMO_TEMPORAL_PORT');
    await ensurePortFree(settings.uiPort, 'the Temporal Web UI', 'KEY_ROTATOR_DEMO_UI_PORT');
    await ensurePortFree(settings.codecPort, 'the codec server', 'KEY_ROTATOR_DEMO_CODEC_PORT');
    if (!settings.realOpenRouter) {
      await ensurePortFree(
        settings.emulatorPort,
        'the OpenRouter emulator',
        'KEY_ROTATOR_DEMO_EMULATOR_PORT',
      );
    }
    await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });

    // ── the codec server, so that the Web UI shows rotations decoded ─────────────────────────
    const codecKeyEnv = await demoCodecKey(options.env, paths.codecKeyring);
    const uiPort = settings.uiPort || (await freePort());
    const codecServer = await startDemoCodecServer({
      env: { ...options.env, ...codecKeyEnv },
      port: settings.codecPort,
      uiPort,
    });
    teardown.add('the codec server', () => codecServer.close());
    log('codec', `codec server at ${codecServer.url} (POST /decode for the Web UI; keys stay sealed)`);

    // ── Temporal ──────────────────────────────────────────────────────────────────────────────
    const cliPath = await ownSessionCli(await ensureTemporalCli(), paths.dataDir);
    log('temporal', `starting the Temporal dev server (state in ${show(paths.temporalDb)}) ...`);
    teardown.add('the pid file', () => removePidFile(paths.pids));
    const server = await startTemporalDevServer({
      cliPath,
      port: settings.temporalPort,
      uiPort,
      uiCodecEndpoint: codecServer.url,
      dbFile: paths.temporalDb,
    });
    teardown.add('the Temporal dev server', async () => {
      await server.stop();
      log('temporal', `dev server stopped (pid ${server.pid})`);
    });
    await writePidFile(paths.pids, { localStack: process.pid, temporalDevServer: server.pid });
    log('temporal', `dev server (pid ${server.pid}) at ${server.address}, Web UI at ${server.uiUrl}`);
    if (shutdown.aborted) return;

    // ── OpenRouter ────────────────────────────────────────────────────────────────────────────
    const openRouter = await startOpenRouterSide(settings, log);
    teardown.add('the OpenRouter emulator', async () => {
      await openRouter.stop();
      if (openRouter.emulator) log('emulator', `stopped; its keys are saved in ${show(paths.emulatorState)}`);
    });

    // ── the worker, in this process ───────────────────────────────────────────────────────────
    const metricsAddress = await metricsAddressFor(settings.metricsAddress);
    installDemoRuntime(metricsAddress, log);
    const policyFile = await writeDemoPolicy({
      file: paths.workerPolicy,
      apiBaseUrl: openRouter.apiBaseUrl,
      managementKeyEnv: MANAGEMENT_KEY_ENV,
      fileRoot: path.dirname(paths.secretFile),
    });
    const env = demoEnvironment({
      base: options.env,
      temporalAddress: server.address,
      extra: {
        ...codecKeyEnv,
        // The worker's alone: the codec server above was started without it.
        ...(await demoSealingKey(options.env, paths.sealingKeyring)),
        ...openRouter.managementKeyEnv,
        // The worker and the demo's `apply` both run with it.
        [POLICY_ENV]: policyFile,
      },
    });
    const workerEnded = startWorker(env, teardown, log);

    // ── the rotations file, and the hand-made key on first start ──────────────────────────────
    const demo = await writeDemoConfig({
      example: path.join(settings.root, 'examples', 'rotations.yaml'),
      exampleName: 'examples/rotations.yaml',
      output: paths.config,
      rotation: DEMO_ROTATION,
      apiBaseUrl: openRouter.apiBaseUrl,
      secretFile: show(paths.secretFile),
      realOpenRouter: settings.realOpenRouter,
    });
    let seeded: string | undefined;
    if (openRouter.emulator) {
      seeded = await seedHandMadeKey(openRouter.emulator, demo.fileDestination, settings.root);
      if (seeded) {
        log(
          'emulator',
          `first start: created a key "by hand" ${HAND_MADE_KEY_AGE_DAYS} days ago (${seeded}) and wrote it to ` +
            `${show(paths.secretFile)}; the first rotation adopts and replaces it`,
        );
      }
    }

    // ── apply the schedules ───────────────────────────────────────────────────────────────────
    // The server is up (health-checked); the worker's workflow bundling may hold this event loop
    // for tens of seconds on a busy machine, which a 5 s connect deadline would count against it.
    const session = await connectTemporal({ env, connectTimeout: '120s' });
    teardown.add('the Temporal client', () => session.close());
    await applyDemoConfig({ configFile: show(paths.config), env, cwd: settings.root, log });
    if (shutdown.aborted) return;

    // ── the consumer app (emulator only: it would spend real money at openrouter.ai) ──────────
    if (openRouter.emulator) {
      const consumer = startConsumer({
        keyFile: paths.secretFile,
        field: demo.fileDestination.field,
        apiBaseUrl: openRouter.apiBaseUrl,
        log: (line) => log('consumer', line),
      });
      teardown.add('the consumer app', () => consumer.stop());
    }

    // ── the rotation's steps as they happen (its status query needs the worker: it retries) ───
    const watcher = watchRotation({
      client: session.client,
      connection: session.connection,
      rotation: DEMO_ROTATION,
      print: (line) => log('rotation', line),
    });
    teardown.add('the rotation watcher', () => watcher.stop());

    // ── first start: wake the schedule once, as its daily run would ───────────────────────────
    if (seeded) {
      await session.client.schedule.getHandle(rotationScheduleId(DEMO_ROTATION)).trigger();
      log(
        'demo',
        `triggered schedule ${rotationScheduleId(DEMO_ROTATION)} once: the key in the file is ` +
          `${HAND_MADE_KEY_AGE_DAYS} days old, so the rotation is due now (later it runs daily at ` +
          `${demo.rotation.schedule.rotateAt} ${demo.rotation.schedule.timezone})`,
      );
    }

    const ready = await Promise.race([
      waitForWorkerPolling(session.client, rotationTaskQueue(env)).then(() => 'ready' as const),
      workerEnded,
      whenAborted(shutdown).then(() => 'aborted' as const),
    ]);
    if (ready instanceof Error) throw ready;
    if (ready === 'aborted') return;

    const lines = whereToLookLines({
      rotation: DEMO_ROTATION,
      readyInMs: Date.now() - startedAt,
      temporalAddress: server.address,
      uiUrl: server.uiUrl,
      codecServerUrl: codecServer.url,
      openRouter: openRouter.description,
      secretFile: show(paths.secretFile),
      consumer: openRouter.emulator !== undefined,
      configFile: `${show(paths.config)} (from examples/rotations.yaml)`,
      metricsAddress,
      ...cliVariables(settings, env),
    });
    for (const line of lines) log('demo', line);

    const stopped = await Promise.race([workerEnded, whenAborted(shutdown).then(() => undefined)]);
    if (stopped) throw stopped;
  } finally {
    await teardown.run();
  }
}
