/**
 * What `npm start` runs with, read once from the environment: where its state lives, which ports
 * it takes, and whether it talks to the local emulator or to openrouter.ai.
 */
import path from 'node:path';
import { ConfigError } from '../errors/rotator-errors.js';

/** The rotation of the demo: its name in examples/rotations.yaml. */
export const DEMO_ROTATION = 'demo-app';
/** The environment variable the example config names for the management key. */
export const MANAGEMENT_KEY_ENV = 'OPENROUTER_MANAGEMENT_KEY';
export const OPENROUTER_API_BASE_URL = 'https://openrouter.ai/api/v1';

export interface DemoPaths {
  /** The data folder itself (absolute). */
  dataDir: string;
  /** The dev server's SQLite file: schedules and history survive a restart. */
  temporalDb: string;
  /** The emulator's keys (hashes and labels, never a secret). */
  emulatorState: string;
  /** The emulator's management key, 0600. */
  managementKeyFile: string;
  /** The payload codec keyring, 0600. */
  codecKeyring: string;
  /** The worker's sealing keyring, 0600 (the codec server never gets it). */
  sealingKeyring: string;
  /** The demo's file destination: the app's current key, 0600. */
  secretFile: string;
  /** The worker policy of the local stack, 0600 (written at every start). */
  workerPolicy: string;
  /** examples/rotations.yaml with this run's URL and paths filled in. */
  config: string;
  /** PIDs of the processes this run started (removed on a clean stop). */
  pids: string;
}

export interface DemoSettings {
  /** The repository root: the working directory of the worker and the CLI. */
  root: string;
  paths: DemoPaths;
  /** Temporal gRPC port; 0 = a free one. @default 7233 */
  temporalPort: number;
  /** Temporal Web UI port; 0 = a free one. @default 8233 */
  uiPort: number;
  /** Codec server port (the Web UI decodes rotations through it); 0 = a free one. @default 8888 */
  codecPort: number;
  /** OpenRouter emulator port; 0 = a free one (a restart then changes the URL). @default 8787 */
  emulatorPort: number;
  /** Prometheus metrics of the worker: KEY_ROTATOR_METRICS_ADDRESS, else 127.0.0.1:9464 or a free port. */
  metricsAddress?: string;
  /** true when the user configured a management key: the demo then talks to openrouter.ai. */
  realOpenRouter: boolean;
}

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    throw new ConfigError(`${name}=${raw}: expected a TCP port (0–65535, 0 = any free port)`);
  }
  return port;
}

export function demoSettingsFrom(env: NodeJS.ProcessEnv, root: string): DemoSettings {
  const dataDir = path.resolve(root, env.KEY_ROTATOR_DEMO_DATA_DIR || '.data');
  const inData = (...parts: string[]) => path.join(dataDir, ...parts);
  return {
    root,
    paths: {
      dataDir,
      temporalDb: inData('temporal.db'),
      emulatorState: inData('emulator-state.json'),
      managementKeyFile: inData('emulator-management-key'),
      codecKeyring: inData('codec-keyring.json'),
      sealingKeyring: inData('sealing-keyring.json'),
      secretFile: inData('secrets', `${DEMO_ROTATION}.env`),
      workerPolicy: inData('worker-policy.yaml'),
      config: inData('rotations.demo.yaml'),
      pids: inData('pids.json'),
    },
    temporalPort: portFrom(env, 'KEY_ROTATOR_DEMO_TEMPORAL_PORT', 7233),
    uiPort: portFrom(env, 'KEY_ROTATOR_DEMO_UI_PORT', 8233),
    codecPort: portFrom(env, 'KEY_ROTATOR_DEMO_CODEC_PORT', 8888),
    emulatorPort: portFrom(env, 'KEY_ROTATOR_DEMO_EMULATOR_PORT', 8787),
    metricsAddress: env.KEY_ROTATOR_METRICS_ADDRESS || undefined,
    realOpenRouter: Boolean(env[MANAGEMENT_KEY_ENV] || env[`${MANAGEMENT_KEY_ENV}_FILE`]),
  };
}

/** `file` relative to the repository root when it is inside it (shorter to read), else absolute. */
export function displayPath(settings: DemoSettings, file: string): string {
  const relative = path.relative(settings.root, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
