/**
 * The chaos run (scripts/chaos/, `npm run chaos`) in small: its parts must catch what they are
 * there to catch, and a short run of the real system under faults must end without a violation.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { labelOfKey } from '../../src/errors/redact.js';
import { AwsSecretsManagerStore } from '../../src/stores/aws-secrets-manager/index.js';
import { startChaosDestinations, type ChaosDestinations } from '../../scripts/chaos/destinations.js';
import { runChaos } from '../../scripts/chaos/driver.js';
import { chaosFaultPlan } from '../../scripts/chaos/fault-plan.js';
import { AWS_ERRORS, startFaultProxy, type FaultProxy } from '../../scripts/chaos/fault-proxy.js';
import { startMonitor } from '../../scripts/chaos/monitor.js';
import { formatReport } from '../../scripts/chaos/report.js';
import { scanFiles, secretNeedles } from '../../scripts/chaos/secret-scan.js';
import { Violations } from '../../scripts/chaos/violations.js';
import { startMotoServer, type MotoServer } from '../stores/moto-server.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chaos-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NO_FAULTS = {
  serverErrorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  dropAnswerAfterCommitRate: 0,
  latencySpikeRate: 0,
  latencySpikeMs: 0,
};

async function createKey(emulator: RunningEmulator): Promise<Response> {
  return fetch(`${emulator.apiBaseUrl}/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.managementKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'chaos test key' }),
  });
}

describe('the emulator faults a chaos run uses', () => {
  it('a create that commits and answers 500 leaves a live key whose secret nobody was told', async () => {
    const issued: string[] = [];
    const emulator = await startEmulator({ onKeyIssued: (key) => issued.push(key) });
    try {
      emulator.setFaults({ createCommittedErrorRate: 1 });
      const response = await createKey(emulator);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain('sk-or-v1-');
      const keys = emulator.snapshot().keys;
      expect(keys.map((k) => [k.name, k.deleted])).toEqual([['chaos test key', false]]);
      expect(issued).toHaveLength(1);
      expect(emulator.snapshot().injectedFaults).toEqual({ 'create-500-after-commit': 1 });
    } finally {
      await emulator.stop();
    }
  });

  it('dropped creates and latency spikes happen at their rates and are counted by kind', async () => {
    const emulator = await startEmulator();
    try {
      emulator.setFaults({ dropCreateRate: 1, latencySpikeRate: 1, latencySpikeMs: 300 });
      const started = Date.now();
      await expect(createKey(emulator)).rejects.toThrow();
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(emulator.snapshot().keys).toHaveLength(1);
      expect(emulator.snapshot().injectedFaults).toEqual({ 'create-dropped': 1, 'latency-spike': 1 });
    } finally {
      await emulator.stop();
    }
  });
});

describe('an AWS write whose answer is lost after it committed', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let aws: SecretsManagerClient;
  const credentials = { accessKeyId: 'chaos', secretAccessKey: 'chaos-secret' };
  beforeAll(async () => {
    moto = await startMotoServer();
    // Every AWSCURRENT/AWSPENDING move is applied by moto, and its answer cut off.
    proxy = await startFaultProxy({
      name: 'aws',
      target: moto.endpoint,
      faults: { ...NO_FAULTS, dropAnswerAfterCommitRate: 1 },
      seed: 1,
      stream: 1,
      isWrite: (_method, headers) => headers['x-amz-target'] === 'secretsmanager.UpdateSecretVersionStage',
      errors: AWS_ERRORS,
      log: () => undefined,
    });
    proxy.setActive(true);
    aws = new SecretsManagerClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
  });
  afterAll(async () => {
    aws?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  it('is not mistaken for somebody else moving the secret: the write succeeds', async () => {
    await aws.send(new CreateSecretCommand({ Name: 'lost-answer', SecretString: 'old-value' }));
    const store = new AwsSecretsManagerStore(
      { type: 'aws-secrets-manager', secretId: 'lost-answer', region: 'us-east-1', endpoint: proxy.url },
      { clientConfig: { credentials } },
    );
    const written = await store.write('new-value', { idempotencyToken: 'chaos-test-lost-answer-0000000001' });

    const current = await aws.send(
      new GetSecretValueCommand({ SecretId: 'lost-answer', VersionStage: 'AWSCURRENT' }),
    );
    expect(current.SecretString).toBe('new-value');
    expect(current.VersionId).toBe(written.version);
    expect(current.VersionStages).not.toContain('AWSPENDING');
    expect(proxy.injected()['answer-dropped-after-commit']).toBeGreaterThanOrEqual(2);
  });
});

describe('the chaos monitor', () => {
  it('reports a destination that holds a key deleted before the read, and nothing before that', async () => {
    const emulator = await startEmulator();
    let destinations: ChaosDestinations | undefined;
    try {
      destinations = await startChaosDestinations({
        fileRoot: join(dir, 'monitor'),
        external: false,
        plan: chaosFaultPlan({ seed: 1, rotations: 1, minutes: 1 }),
        seed: 1,
        log: () => undefined,
      });
      const held = emulator.seedKey({ name: 'held' });
      await destinations.seed('watched', held.key);
      const violations = new Violations(Date.now());
      const monitor = startMonitor({
        destinations,
        names: ['watched'],
        readState: async () => emulator.snapshot(),
        violations,
        intervalMs: 60_000,
        log: () => undefined,
      });
      await monitor.checkOnce();
      expect(violations.list).toEqual([]);

      const deleted = await fetch(`${emulator.apiBaseUrl}/keys/${held.hash}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${emulator.managementKey}` },
      });
      expect(deleted.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 5)); // the read must begin after the delete
      await monitor.checkOnce();
      const figures = await monitor.stop();

      expect(violations.list.map((v) => v.kind)).toEqual(['dead-key-held']);
      expect(violations.list[0]!.detail).toContain(labelOfKey(held.key));
      expect(violations.list[0]!.detail).not.toContain(held.key);
      expect(figures.checks).toBeGreaterThanOrEqual(2);
      expect(figures.heldKeyHashes).toEqual(new Set([held.hash]));
    } finally {
      await destinations?.stop();
      await emulator.stop();
    }
  });
});

describe('the chaos run key search', () => {
  it('finds a key written plain, without its prefix or base64-encoded, and names it by label only', async () => {
    const key = `sk-or-v1-${'0123456789abcdef'.repeat(4)}`;
    const files = {
      plain: join(dir, 'plain.log'),
      bare: join(dir, 'bare.log'),
      base64: join(dir, 'base64.log'),
      clean: join(dir, 'clean.log'),
    };
    await writeFile(files.plain, `created ${key}\n`);
    await writeFile(files.bare, `hex ${key.slice('sk-or-v1-'.length)}\n`);
    await writeFile(files.base64, `{"data":"${Buffer.from(`xx${key}yy`).toString('base64')}"}`);
    await writeFile(files.clean, `created ${labelOfKey(key)}\n`);

    const { findings, filesScanned } = await scanFiles(
      Object.values(files),
      secretNeedles(new Map([[key, labelOfKey(key)]])),
    );

    expect(filesScanned).toBe(4);
    expect(findings.map((f) => f.where).sort()).toEqual([files.base64, files.bare, files.plain].sort());
    expect(JSON.stringify(findings)).not.toContain(key.slice(-20));
  });
});

describe('a short chaos run', () => {
  it('rotates 10 times under worker kills, a Temporal restart and injected faults, with no violation', async () => {
    const report = await runChaos({
      rotations: 10,
      seed: 7,
      minutes: 2,
      // Rotations started in the 2 minutes may take long to end on a busy machine: that is no violation.
      drainMinutes: 5,
      keys: 5,
      temporalCliPath: inject('temporalCliPath'),
      outDir: join(dir, 'run'),
    });
    const table = formatReport(report);
    expect(report.violationList, table).toEqual([]);
    expect(
      report.runs.filter((r) => r.outcome === 'succeeded'),
      table,
    ).toHaveLength(10);
    expect(report.runs.filter((r) => r.via === 'schedule')).toHaveLength(5);
    expect(report.worker.kills, table).toBeGreaterThan(0);
    expect(report.serverRestarts, table).toBe(1);
    expect(report.monitor.checks, table).toBeGreaterThan(50);
    expect(report.faults['emulator server-error-5xx'], table).toBeGreaterThan(0);
    expect(report.historiesScanned, table).toBeGreaterThanOrEqual(15);
    expect(report.passed).toBe(true);
  }, 600_000);
});
