/** `key-rotator codec-server`: serves the payload codec to the Temporal Web UI until SIGINT/SIGTERM. */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { EncryptionCodec } from './encryption-codec.js';
import { loadKeyring } from './keyring.js';
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
}

/** The bearer token from KEY_ROTATOR_CODEC_SERVER_TOKEN or the file in KEY_ROTATOR_CODEC_SERVER_TOKEN_FILE. */
async function codecServerToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.KEY_ROTATOR_CODEC_SERVER_TOKEN) return env.KEY_ROTATOR_CODEC_SERVER_TOKEN;
  const file = env.KEY_ROTATOR_CODEC_SERVER_TOKEN_FILE;
  if (!file) return undefined;
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch (err) {
    throw new ConfigError(
      `KEY_ROTATOR_CODEC_SERVER_TOKEN_FILE=${file}: cannot read (${(err as NodeJS.ErrnoException).code})`,
    );
  }
}

export async function runCodecServerCommand(options: CodecServerCommandOptions): Promise<void> {
  const env = options.env ?? process.env;
  if (env.KEY_ROTATOR_CODEC_SERVER_ALLOW_UNAUTHENTICATED === 'true') {
    // Said to be safe behind a loopback-only port mapping, but a web page reaches such a port too.
    throw new ConfigError(
      'KEY_ROTATOR_CODEC_SERVER_ALLOW_UNAUTHENTICATED is no longer supported: set KEY_ROTATOR_CODEC_SERVER_TOKEN ' +
        '(or _FILE), or run the codec server on loopback without a token',
    );
  }
  const uiOrigins = (options.uiOrigin ?? env.KEY_ROTATOR_CODEC_UI_ORIGIN)
    ?.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  // Display only: /decode shows a payload we did not encrypt as it is, instead of failing the page.
  const codec = new EncryptionCodec(await loadKeyring({ env }), { foreignPayloads: 'show' });
  const authToken = await codecServerToken(env);
  const server = await startCodecServer({
    codec,
    port: options.port,
    host: options.host,
    ...(uiOrigins?.length ? { uiOrigins } : {}),
    authToken,
  });
  console.log(
    `codec server listening on ${server.url} (POST /decode${authToken ? ' and /encode, with the bearer token' : '; /encode needs a token'})`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}
