/**
 * The codec server of `npm start`: loopback only and without a token, so it answers /decode for
 * the local Web UI and has no /encode. Started before the dev server, whose UI is pointed at it
 * (`--ui-codec-endpoint`), so a rotation's input, result, steps and errors read as JSON in the UI;
 * API keys inside stay sealed.
 */
import { startCodecServer } from '../codec/codec-server.js';
import { EncryptionCodec } from '../codec/encryption-codec.js';
import { loadKeyring } from '../codec/keyring.js';

export interface DemoCodecServerOptions {
  /** Environment holding the demo's codec keyring (KEY_ROTATOR_CODEC_KEY or _FILE). */
  env: NodeJS.ProcessEnv;
  /** Port to listen on; 0 = a free one. */
  port: number;
  /** The Web UI's port: both of its loopback origins may call the codec server. */
  uiPort: number;
}

export interface DemoCodecServer {
  url: string;
  close(): Promise<void>;
}

export async function startDemoCodecServer(options: DemoCodecServerOptions): Promise<DemoCodecServer> {
  // Display only: a payload we did not encrypt is shown as it is instead of failing the page.
  const codec = new EncryptionCodec(await loadKeyring({ env: options.env }), { foreignPayloads: 'show' });
  const server = await startCodecServer({
    codec,
    port: options.port,
    host: '127.0.0.1',
    uiOrigins: [`http://127.0.0.1:${options.uiPort}`, `http://localhost:${options.uiPort}`],
  });
  return { url: server.url, close: () => server.close() };
}
