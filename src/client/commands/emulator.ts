/** `key-rotator emulator --port <port>`: runs the OpenRouter emulator (tests, offline demo). */
import type { Command } from 'commander';
import { tcpPort } from './arguments.js';

export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description('run the OpenRouter management API emulator until SIGINT/SIGTERM')
    .requiredOption('--port <port>', 'port to listen on (0 = a free one)', tcpPort)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--management-key-file <path>',
      'file holding the management key; created with a fresh key (mode 0600) when missing',
    )
    .option(
      '--state-file <path>',
      'keep the keys (hashes and labels, never secrets) in this file across restarts',
    )
    .action(
      async (options: { port: number; host: string; managementKeyFile?: string; stateFile?: string }) => {
        const { runEmulatorCommand } = await import('../../emulator/main.js');
        await runEmulatorCommand(options);
      },
    );
}
