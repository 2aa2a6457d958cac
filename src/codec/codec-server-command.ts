/** `key-rotator codec-server`: serves the payload codec to the Temporal Web UI until SIGINT/SIGTERM. */
import { readEnvOrFile } from '../fields/env-or-file.js';
import { ConfigError } from '../errors/rotator-errors.js';
import { Logger } from '../logging/logger.js';
import { runUntilSignal, whenAborted } from '../process/run-until-signal.js';
import { EncryptionCodec } from './encryption-codec.js';
import { loadKeyring, SEALING_KEY_ENV, SEALING_KEY_FILE_ENV } from './keyring.js';
import { startCodecServer } from './codec-server.js';

export interface CodecServerCommandOptions {
  port: number;
  host: string;
  /**
   * Comma-separated origins of the Web UI allowed by CORS (or KEY_ROTATOR_CODEC_UI_ORIGIN).
   * @default "http://localhost:8233,http://127.0.0.1:8233"
   */
  uiOrigin?: string;
  env?: NodeJS.ProcessEnv;
  /** Stops the server when aborted. @default SIGINT/SIGTERM of this process (src/process/run-until-signal.ts) */
  signal?: AbortSignal;
}

/** The environment variable holding the bearer token (or, with `_FILE`, the file that holds it). */
export const CODEC_SERVER_TOKEN_ENV = 'KEY_ROTATOR_CODEC_SERVER_TOKEN';
/** The bearer token of /encode, which is off without it (or, with `_FILE`, the file that holds it). */
export const CODEC_SERVER_ENCODE_TOKEN_ENV = 'KEY_ROTATOR_CODEC_SERVER_ENCODE_TOKEN';

export async function runCodecServerCommand(options: CodecServerCommandOptions): Promise<void> {
  const env = options.env ?? process.env;
  const log = Logger.fromEnv(env);
  if (env.KEY_ROTATOR_CODEC_SERVER_ALLOW_UNAUTHENTICATED === 'true') {
    // Said to be safe behind a loopback-only port mapping, but a web page reaches such a port too.
    throw new ConfigError(
      'KEY_ROTATOR_CODEC_SERVER_ALLOW_UNAUTHENTICATED is no longer supported: set KEY_ROTATOR_CODEC_SERVER_TOKEN ' +
        '(or _FILE), or run the codec server on loopback without a token',
    );
  }
  for (const name of [SEALING_KEY_ENV, SEALING_KEY_FILE_ENV]) {
    if (env[name]?.trim()) {
      throw new ConfigError(
        `${name} is set for the codec server: the sealing keyring belongs to the worker alone (it opens the ` +
          "API keys sealed in workflow data); remove it from the codec server's environment",
      );
    }
  }
  const uiOrigins = (options.uiOrigin ?? env.KEY_ROTATOR_CODEC_UI_ORIGIN)
    ?.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  // Display only: /decode shows a payload we did not encrypt as it is, instead of failing the page.
  const codec = new EncryptionCodec(await loadKeyring({ env }), { foreignPayloads: 'show' });
  const authToken = readEnvOrFile(CODEC_SERVER_TOKEN_ENV, env, 'the codec server bearer token')?.value;
  const encodeToken = readEnvOrFile(CODEC_SERVER_ENCODE_TOKEN_ENV, env, 'the /encode bearer token')?.value;
  const server = await startCodecServer({
    codec,
    port: options.port,
    host: options.host,
    ...(uiOrigins?.length ? { uiOrigins } : {}),
    authToken,
    encodeToken,
  });
  const decode = `POST /decode${authToken ? ' with the bearer token' : ''}`;
  const encode = encodeToken
    ? 'POST /encode with its own token'
    : `/encode off (${CODEC_SERVER_ENCODE_TOKEN_ENV} turns it on)`;
  log.info(`codec server listening on ${server.url} (${decode}; ${encode})`);
  await runUntilSignal(
    async (signal) => {
      await whenAborted(signal);
      await server.close();
    },
    { signal: options.signal },
  );
}
