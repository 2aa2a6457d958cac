/**
 * The `key-rotator` command line: builds the commander program and turns every way it can end into
 * an exit code (the table in cli-errors.ts). bin/key-rotator.js runs it.
 *
 * Commands load lazily: only the command named on the command line imports its module (and with
 * it the Temporal client, zod, the config loader…); every other command is listed by name and
 * summary alone. `key-rotator --help` therefore loads commander and little else.
 */
import { Command, CommanderError } from 'commander';
import { RotatorError } from '../errors/rotator-errors.js';
import { redact } from '../errors/redact.js';
import { logFormatFrom, type LogFormat } from '../logging/log-format.js';
import { DEFAULT_TEMPORAL_ADDRESS } from '../temporal/default-address.js';
import { createCliContext, type CliContext, type CliIo } from './cli-context.js';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, exitCodeFor } from './cli-errors.js';

type RegisterCommands = (program: Command, ctx: CliContext) => void;

/** One module of commands: what the overview shows of each, and how to load the full definitions. */
interface CommandModule {
  /** Each command's name with its arguments, and its one-line summary for the overview. */
  commands: { usage: string; summary: string }[];
  load(): Promise<RegisterCommands>;
}

/** Every command, in the order `--help` lists them. */
const COMMAND_MODULES: CommandModule[] = [
  {
    commands: [{ usage: 'apply', summary: 'make the rotation schedules match the rotations file' }],
    load: async () => (await import('./commands/apply.js')).registerApplyCommand,
  },
  {
    commands: [
      { usage: 'validate', summary: 'check a rotations file (and a worker policy) without Temporal' },
    ],
    load: async () => (await import('./commands/validate.js')).registerValidateCommand,
  },
  {
    commands: [{ usage: 'list', summary: 'list the rotations that have a schedule' }],
    load: async () => (await import('./commands/list.js')).registerListCommand,
  },
  {
    commands: [{ usage: 'status <name>', summary: 'show one rotation in detail' }],
    load: async () => (await import('./commands/status.js')).registerStatusCommand,
  },
  {
    commands: [{ usage: 'history <name>', summary: 'list past rotations of a key' }],
    load: async () => (await import('./commands/history.js')).registerHistoryCommand,
  },
  {
    commands: [{ usage: 'rotate <name>', summary: 'rotate a key now' }],
    load: async () => (await import('./commands/rotate.js')).registerRotateCommand,
  },
  {
    commands: [{ usage: 'watch <name>', summary: 'follow the running rotation of a key until it ends' }],
    load: async () => (await import('./commands/watch.js')).registerWatchCommand,
  },
  {
    commands: [
      { usage: 'pause <name>', summary: 'pause auto-rotation of a key and hold a rotation in flight' },
      { usage: 'resume <name>', summary: 'resume auto-rotation of a key and release a held rotation' },
    ],
    load: async () => (await import('./commands/pause-resume.js')).registerPauseResumeCommands,
  },
  {
    commands: [{ usage: 'end-grace <name>', summary: 'end the grace period of the running rotation now' }],
    load: async () => (await import('./commands/end-grace.js')).registerEndGraceCommand,
  },
  {
    commands: [{ usage: 'sweep', summary: 'find keys key-rotator made that nothing holds or owns' }],
    load: async () => (await import('./commands/sweep.js')).registerSweepCommand,
  },
  {
    commands: [{ usage: 'worker', summary: 'run the rotation worker' }],
    load: async () => (await import('./commands/worker.js')).registerWorkerCommand,
  },
  {
    commands: [{ usage: 'codec-server', summary: 'serve the payload codec for the Temporal Web UI' }],
    load: async () => (await import('./commands/codec-server.js')).registerCodecServerCommand,
  },
  {
    commands: [{ usage: 'emulator', summary: 'run the OpenRouter management API emulator' }],
    load: async () => (await import('./commands/emulator.js')).registerEmulatorCommand,
  },
];

const commandName = (usage: string) => usage.split(' ')[0]!;

/**
 * The command the arguments run (or ask help for: `help <command>`), if it is one of ours. Only
 * its module is loaded; the program has no options of its own, so the first word is the command.
 */
function requestedCommand(args: readonly string[]): string | undefined {
  const [first, second] = args;
  return first === 'help' ? second : first;
}

/**
 * The commander program for `argv` (as process.argv): the requested command fully defined, every
 * other one as a name and summary, enough for the overview and for "did you mean".
 */
export async function buildProgram(ctx: CliContext, argv: readonly string[]): Promise<Command> {
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
      'KEY_ROTATOR_CODEC_KEY_FILE. KEY_ROTATOR_LOG_FORMAT=json: diagnostics and progress as JSON lines.\nExit codes: 0 ok, 1 failure, 2 bad input or refused (nothing was changed), 3 no rotation of that name,\n130 stopped watching by Ctrl-C (the rotation goes on).\n' +
      'Run `key-rotator <command> --help` for the options of a command.',
  );
  const requested = requestedCommand(argv.slice(2));
  for (const module of COMMAND_MODULES) {
    if (module.commands.some((c) => commandName(c.usage) === requested)) {
      (await module.load())(program, ctx);
      continue;
    }
    for (const { usage, summary } of module.commands) program.command(usage).summary(summary);
  }
  return program;
}

function commanderExitCode(err: CommanderError): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
  // `key-rotator` alone prints the help: the command is missing.
  return err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
}

/** Runs the CLI with `argv` (as process.argv: node, script, arguments…) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  let logFormat: LogFormat;
  try {
    logFormat = io.logFormat ?? logFormatFrom(io.env ?? process.env);
  } catch (err) {
    // Nothing has run yet: said in plain text, as no format was chosen.
    (io.stderr ?? process.stderr).write(`key-rotator: ${(err as Error).message}\n`);
    return EXIT_BAD_INPUT;
  }
  const ctx = createCliContext({ ...io, logFormat });
  try {
    await (await buildProgram(ctx, argv)).parseAsync(argv);
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
