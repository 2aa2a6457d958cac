/** `key-rotator codec-server`: serves the payload codec to the Temporal Web UI until SIGINT/SIGTERM. */
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

export async function runCodecServerCommand(options: CodecServerCommandOptions): Promise<void> {
  const env = options.env ?? process.env;
  const codec = new EncryptionCodec(await loadKeyring({ env }));
  const server = await startCodecServer({
    codec,
    port: options.port,
    host: options.host,
    uiOrigin: options.uiOrigin ?? env.KEY_ROTATOR_CODEC_UI_ORIGIN,
    authToken: env.KEY_ROTATOR_CODEC_SERVER_TOKEN,
  });
  console.log(`codec server listening on ${server.url} (POST /encode, /decode)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}
