/**
 * The CLI when Temporal is down: it fails within about two seconds (not after gRPC's whole connect
 * deadline) and says how to get a server: `npm start` inside a checkout of this repository, the
 * Temporal docs' way elsewhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTemporal } from '../../src/client/temporal-client.js';
import { TemporalUnavailableError } from '../../src/temporal/connection.js';
import { CLI_TEST_KEYRING, runKeyRotator } from '../support/cli.js';
import { findFreePort } from '../support/net.js';

const REPO_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
let outside: string;
let downAddress: string;

beforeAll(async () => {
  outside = await mkdtemp(path.join(tmpdir(), 'cli-temporal-down-'));
  downAddress = `127.0.0.1:${await findFreePort()}`;
});
afterAll(async () => {
  await rm(outside, { recursive: true, force: true });
});

describe('the CLI when nothing listens at TEMPORAL_ADDRESS', () => {
  it('gives up within about 2 s', async () => {
    const started = Date.now();
    const error = await connectTemporal({
      env: { TEMPORAL_ADDRESS: downAddress, KEY_ROTATOR_CODEC_KEY: CLI_TEST_KEYRING },
      cwd: outside,
    }).catch((err: unknown) => err);
    const tookMs = Date.now() - started;
    expect(error).toBeInstanceOf(TemporalUnavailableError);
    expect((error as Error).message).toContain(
      `cannot reach Temporal at ${downAddress}: connection refused (nothing listens there)`,
    );
    expect(tookMs).toBeLessThan(2_500);
  });

  it('suggests `npm start` when run in a checkout of this repository (exit 1)', async () => {
    const run = await runKeyRotator(['status', 'demo-app'], {
      env: { TEMPORAL_ADDRESS: downAddress },
      cwd: path.join(REPO_ROOT, 'examples'),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot reach Temporal at ${downAddress}: connection refused`);
    expect(run.stderr).toContain(
      `or run \`npm start\` in ${REPO_ROOT} (a local Temporal, worker and emulator)`,
    );
    expect(run.stderr).not.toContain('temporal server start-dev');
  });

  it('elsewhere, points at the Temporal CLI install docs and `temporal server start-dev` (exit 1)', async () => {
    const run = await runKeyRotator(['list'], { env: { TEMPORAL_ADDRESS: downAddress }, cwd: outside });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'install the Temporal CLI (https://docs.temporal.io/cli#install) and start a local server with `temporal server start-dev`',
    );
    expect(run.stderr).not.toContain('npm start');
  });
});
