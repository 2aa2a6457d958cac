/**
 * The demo's output: one line per event, `HH:MM:SS [source] message`, always through redaction so
 * that no key can reach the terminal.
 */
import { formatClock } from '../client/output/format-time.js';
import { redact } from '../errors/redact.js';

/** Prints `message` as coming from `source` (temporal, emulator, worker, rotation, consumer …). */
export type DemoLog = (source: string, message: string) => void;

export function streamDemoLog(stream: { write(chunk: string): unknown } = process.stdout): DemoLog {
  return (source, message) => {
    for (const line of redact(message).split('\n')) {
      stream.write(`${formatClock(new Date())} ${`[${source}]`.padEnd(12)} ${line}\n`);
    }
  };
}
