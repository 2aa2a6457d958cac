/**
 * Everything the CLI prints goes through here, and through redaction: tables for people, JSON for
 * scripts (`--json`), plain tab-separated lines when stdout is not a terminal. With
 * KEY_ROTATOR_LOG_FORMAT=json, diagnostics (stderr) and the progress of `rotate --wait` and
 * `watch` are log records (src/logging/), one JSON object per line; a command's result is as it was.
 */
import { redact } from '../../errors/redact.js';
import type { LogFormat } from '../../logging/log-format.js';
import { jsonLogLine, type LogFields } from '../../logging/log-record.js';
import { renderTable, type Column } from './table.js';

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export class Output {
  constructor(
    private readonly stdout: OutputStream,
    private readonly stderr: OutputStream,
    /** @default "text" */
    private readonly logFormat: LogFormat = 'text',
  ) {}

  /** Whether a person is watching stdout (aligned tables) or a program reads it (plain lines). */
  get isTTY(): boolean {
    return this.stdout.isTTY === true;
  }

  line(text = ''): void {
    this.stdout.write(`${redact(text)}\n`);
  }

  /** Diagnostics and errors: stderr, so that stdout stays parseable. */
  error(text: string): void {
    this.stderr.write(`${this.#logLine('error', text)}\n`);
  }

  /** A progress line of a rotation (its ids and step in `fields`), on stdout or, beside `--json`, stderr. */
  progress(text: string, fields: LogFields, stream: 'stdout' | 'stderr'): void {
    (stream === 'stdout' ? this.stdout : this.stderr).write(`${this.#logLine('info', text, fields)}\n`);
  }

  #logLine(level: 'info' | 'error', text: string, fields?: LogFields): string {
    return this.logFormat === 'json' ? jsonLogLine(level, text, fields) : redact(text);
  }

  json(value: unknown): void {
    this.stdout.write(`${redact(JSON.stringify(value, null, 2))}\n`);
  }

  table<Row>(columns: Column<Row>[], rows: Row[]): void {
    for (const line of renderTable(columns, rows, { aligned: this.isTTY })) this.line(line);
  }
}
