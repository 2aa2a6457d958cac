/**
 * Everything the CLI prints goes through here, and through redaction: tables for people, JSON for
 * scripts (`--json`), plain tab-separated lines when stdout is not a terminal.
 */
import { redact } from '../../errors/redact.js';
import { renderTable, type Column } from './table.js';

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export class Output {
  constructor(
    private readonly stdout: OutputStream,
    private readonly stderr: OutputStream,
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
    this.stderr.write(`${redact(text)}\n`);
  }

  json(value: unknown): void {
    this.stdout.write(`${redact(JSON.stringify(value, null, 2))}\n`);
  }

  table<Row>(columns: Column<Row>[], rows: Row[]): void {
    for (const line of renderTable(columns, rows, { aligned: this.isTTY })) this.line(line);
  }
}
