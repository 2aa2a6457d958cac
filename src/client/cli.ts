/**
 * The `key-rotator` command line: builds the commander program and turns every way it can end into
 * an exit code (the table in cli-errors.ts). bin/key-rotator.js runs it.
 */
import { Command, CommanderError } from 'commander';
import { RotatorError } from '../errors.js';
import { redact } from '../redact.js';
import { DEFAULT_TEMPORAL_ADDRESS } from '../temporal-connection.js';
import { createCliContext, type CliContext, type CliIo } from './cli-context.js';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, exitCodeFor } from './cli-errors.js';
import { registerApplyCommand } from './commands/apply.js';
import { registerCodecServerCommand } from './commands/codec-server.js';
import { registerEmulatorCommand } from './commands/emulator.js';
import { registerEndGraceCommand } from './commands/end-grace.js';
import { registerHistoryCommand } from './commands/history.js';
import { registerListCommand } from './commands/list.js';
import { registerPauseResumeCommands } from './commands/pause-resume.js';
import { registerRotateCommand } from './commands/rotate.js';
import { registerStatusCommand } from './commands/status.js';
import { registerSweepCommand } from './commands/sweep.js';
import { registerWorkerCommand } from './commands/worker.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('key-rotator')
    .description('Rotate OpenRouter API keys with zero downtime, driven by Temporal.')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => void ctx.out.line(text.replace(/\n$/, '')),
      writeErr: (text) => void ctx.out.error(text.replace(/\n$/, '')),
    })
    // Set before the subcommands are added so that they inherit it: usage errors throw, not exit.
    .exitOverride();
  program.addHelpText(
    'after',
    `\nTemporal connection: TEMPORAL_ADDRESS (default ${DEFAULT_TEMPORAL_ADDRESS}), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,\n` +
      'TLS settings and profiles as in every Temporal tool. Payload codec key: KEY_ROTATOR_CODEC_KEY or\n' +
      'KEY_ROTATOR_CODEC_KEY_FILE.\nExit codes: 0 ok, 1 failure, 2 bad input or refused (nothing was changed), 3 no rotation of that name.',
  );
  registerApplyCommand(program, ctx);
  registerListCommand(program, ctx);
  registerStatusCommand(program, ctx);
  registerHistoryCommand(program, ctx);
  registerRotateCommand(program, ctx);
  registerPauseResumeCommands(program, ctx);
  registerEndGraceCommand(program, ctx);
  registerSweepCommand(program, ctx);
  registerWorkerCommand(program, ctx);
  registerCodecServerCommand(program, ctx);
  registerEmulatorCommand(program);
  return program;
}

function commanderExitCode(err: CommanderError): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
  // `key-rotator` alone prints the help: the command is missing.
  return err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
}

/** Runs the CLI with `argv` (as process.argv: node, script, arguments…) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  const ctx = createCliContext(io);
  try {
    await buildProgram(ctx).parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExitCode(err);
    const message =
      err instanceof RotatorError ? err.message : redact(err instanceof Error ? err.message : String(err));
    ctx.out.error(`key-rotator: ${message}`);
    if (!(err instanceof RotatorError) && ctx.env.KEY_ROTATOR_DEBUG && err instanceof Error && err.stack) {
      ctx.out.error(err.stack);
    }
    return err instanceof RotatorError || err instanceof Error ? exitCodeFor(err) : EXIT_FAILURE;
  } finally {
    await ctx.close();
  }
}
