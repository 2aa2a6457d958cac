/** `key-rotator codec-server`: serves the payload codec to the Temporal Web UI until SIGINT/SIGTERM. */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { EncryptionCodec } from './encryption-codec.js';
import { loadKeyring } from './keyring.js';
import { startCodecServer } from './codec-server.js';

export interface CodecServerCommandOptions {
  port: number;
  host: string;
  /** @default "http://localhost:8233" */
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
  const codec = new EncryptionCodec(await loadKeyring({ env }));
  const server = await startCodecServer({
    codec,
    port: options.port,
    host: options.host,
    uiOrigin: options.uiOrigin ?? env.KEY_ROTATOR_CODEC_UI_ORIGIN,
    authToken: await codecServerToken(env),
    allowUnauthenticated: env.KEY_ROTATOR_CODEC_SERVER_ALLOW_UNAUTHENTICATED === 'true',
  });
  console.log(`codec server listening on ${server.url} (POST /encode, /decode)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}
