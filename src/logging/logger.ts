/**
 * The log of a key-rotator process (the worker's own lines, the codec server, the CLI's
 * diagnostics): in the text format each line is its message, as it always was; in the json format
 * one record per line (log-record.ts). Information goes to stdout, warnings and errors to stderr.
 */
import { redact } from '../errors/redact.js';
import { logFormatFrom, type LogFormat } from './log-format.js';
import { jsonLogLine, type LogFields, type LogLevel } from './log-record.js';

export interface LogStream {
  write(chunk: string): unknown;
}

export class Logger {
  constructor(
    readonly format: LogFormat,
    private readonly out: LogStream = process.stdout,
    private readonly err: LogStream = process.stderr,
  ) {}

  /** A logger in the format `env` asks for (KEY_ROTATOR_LOG_FORMAT); throws ConfigError on a bad value. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, out?: LogStream, err?: LogStream): Logger {
    return new Logger(logFormatFrom(env), out, err);
  }

  info(message: string, fields?: LogFields): void {
    this.out.write(`${this.line('info', message, fields)}\n`);
  }

  warn(message: string, fields?: LogFields): void {
    this.err.write(`${this.line('warn', message, fields)}\n`);
  }

  error(message: string, fields?: LogFields): void {
    this.err.write(`${this.line('error', message, fields)}\n`);
  }

  /** The line (without its newline) this logger prints for one entry. */
  line(level: LogLevel, message: string, fields?: LogFields): string {
    return this.format === 'json' ? jsonLogLine(level, message, fields) : redact(message);
  }
}
