/**
 * Which OpenRouter the demo talks to: the real one when the user configured a management key, or
 * else the local emulator, whose keys (hashes and labels only) and management key (its own 0600
 * file) live in the data folder so that a restart resumes.
 */
import { loadOrCreateManagementKey } from '../emulator/main.js';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import type { DemoLog } from './demo-log.js';
import {
  MANAGEMENT_KEY_ENV,
  OPENROUTER_API_BASE_URL,
  displayPath,
  type DemoSettings,
} from './demo-settings.js';

export interface OpenRouterSide {
  apiBaseUrl: string;
  /** Present in emulator mode. */
  emulator?: RunningEmulator;
  /**
   * Variables that point the worker and the CLI at the emulator's management key file (the
   * CLI's `apply`/`rotate` check that it is there); empty with the user's own key.
   */
  managementKeyEnv: Record<string, string>;
  /** One phrase for the "where to look" lines. */
  description: string;
  stop(): Promise<void>;
}

export async function startOpenRouterSide(settings: DemoSettings, log: DemoLog): Promise<OpenRouterSide> {
  if (settings.realOpenRouter) {
    log(
      'openrouter',
      `${MANAGEMENT_KEY_ENV} is set: the demo talks to openrouter.ai (${OPENROUTER_API_BASE_URL}) and seeds nothing. ` +
        `Rotations create and delete real keys on your account; the first \`rotate --wait\` puts one in ` +
        `${displayPath(settings, settings.paths.secretFile)} (verify.requireTrafficMoved is off: no app uses it)`,
    );
    return {
      apiBaseUrl: OPENROUTER_API_BASE_URL,
      managementKeyEnv: {},
      description: `openrouter.ai with your ${MANAGEMENT_KEY_ENV}`,
      stop: async () => undefined,
    };
  }
  const { paths } = settings;
  const managementKey = await loadOrCreateManagementKey(paths.managementKeyFile);
  const emulator = await startEmulator({
    host: '127.0.0.1',
    port: settings.emulatorPort,
    managementKey,
    stateFile: paths.emulatorState,
    // The management API calls show what the rotation does (the old key deleted, …); the
    // consumer's chat completions, one a second, are summed up by the consumer itself.
    onRequestLine: (line) => {
      if (!line.startsWith('POST /api/v1/chat/completions 200 ')) log('emulator', line);
    },
  });
  log(
    'emulator',
    `No ${MANAGEMENT_KEY_ENV} set: using the local OpenRouter emulator at ${emulator.apiBaseUrl} ` +
      `(its keys in ${displayPath(settings, paths.emulatorState)}, its management key in ` +
      `${displayPath(settings, paths.managementKeyFile)})`,
  );
  return {
    apiBaseUrl: emulator.apiBaseUrl,
    emulator,
    managementKeyEnv: { [`${MANAGEMENT_KEY_ENV}_FILE`]: paths.managementKeyFile },
    description: `local emulator at ${emulator.apiBaseUrl} (no account needed)`,
    stop: () => emulator.stop(),
  };
}
