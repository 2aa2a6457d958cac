/**
 * The CLI loads only the command it runs: `--help` and a command's own help answer without the
 * Temporal SDK (the bulk of start-up time), which a module hook refuses to load here, nor any
 * secret store's cloud SDK (AWS, Azure, Google Cloud), which a store loads at its first request.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const refuseSdk = fileURLToPath(new URL('../fixtures/refuse-temporal-sdk.mjs', import.meta.url));
const refuseStoreSdks = fileURLToPath(new URL('../fixtures/refuse-store-sdks.mjs', import.meta.url));

/** Runs the CLI from the sources with the Temporal SDK and the stores' SDKs refused; never rejects on an exit code. */
async function cliWithoutSdk(...args: string[]) {
  const script = `const { runCli } = await import('./src/client/cli.ts'); process.exitCode = await runCli(['node', 'key-rotator', ...${JSON.stringify(args)}]);`;
  return node(['--import', refuseSdk, '--import', refuseStoreSdks, '--input-type=module', '-e', script]);
}

/** Runs `node --import tsx ...args` from the repository root; never rejects on an exit code. */
async function node(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', ...args], {
      cwd: root,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('key-rotator loads commands lazily', () => {
  it('lists every command under --help without loading the Temporal SDK or a store SDK', async () => {
    const help = await cliWithoutSdk('--help');
    expect(help.code, help.stderr).toBe(0);
    for (const command of ['apply', 'list', 'status <name>', 'rotate <name>', 'pause <name>', 'worker'])
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));
    expect(help.stdout).toContain('TEMPORAL_ADDRESS (default 127.0.0.1:7233)');
  }, 90_000);

  it('suggests the nearest command for a typo without loading the Temporal SDK', async () => {
    const typo = await cliWithoutSdk('rotat');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean rotate?');
  }, 90_000);

  it('the hook does refuse the SDK: a command that needs Temporal fails under it', async () => {
    const list = await cliWithoutSdk('list');
    expect(list.code).not.toBe(0);
    expect(list.stderr).toContain('refused to load @temporalio/');
  }, 90_000);

  it('the store hook does refuse the SDKs: a Parameter Store destination fails at its first request under it', async () => {
    const script =
      "const { AwsSsmParameterStore } = await import('./src/stores/aws-ssm-parameter/index.ts');" +
      "const store = new AwsSsmParameterStore({ type: 'aws-ssm-parameter', name: '/apps/KEY', kmsKeyId: 'alias/aws/ssm', label: 'current' });" +
      'await store.read();';
    const read = await node(['--import', refuseStoreSdks, '--input-type=module', '-e', script]);
    expect(read.code).not.toBe(0);
    expect(read.stderr).toContain('refused to load @aws-sdk/client-ssm');
  }, 90_000);
});
