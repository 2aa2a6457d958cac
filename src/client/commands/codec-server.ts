/** `key-rotator codec-server --port <port>`: serves the payload codec to the Temporal Web UI. */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { tcpPort } from './arguments.js';

export function registerCodecServerCommand(program: Command, ctx: CliContext): void {
  program
    .command('codec-server')
    .description(
      'serve the payload codec (POST /decode; /encode only with KEY_ROTATOR_CODEC_SERVER_ENCODE_TOKEN) so the ' +
        'Temporal Web UI can show rotations decrypted',
    )
    .requiredOption('--port <port>', 'port to listen on', tcpPort)
    .option(
      '--host <host>',
      'address to bind; beyond loopback it needs KEY_ROTATOR_CODEC_SERVER_TOKEN (or _FILE)',
      '127.0.0.1',
    )
    .option(
      '--ui-origin <urls>',
      'origins of the Web UI allowed to call it (CORS), comma-separated [env: KEY_ROTATOR_CODEC_UI_ORIGIN] ' +
        '(default: http://localhost:8233,http://127.0.0.1:8233)',
    )
    .action(async (options: { port: number; host: string; uiOrigin?: string }) => {
      const { runCodecServerCommand } = await import('../../codec/codec-server-command.js');
      await runCodecServerCommand({ ...options, env: ctx.env });
    });
}
