/**
 * `key-rotator history NAME --json` and `history --all --json` are the audit trail: one record per
 * run with who started it and why, the signals it got and from whom, every step with its times, the
 * outcome and the keys by label and hash (never a key).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord, UnreadableAuditRecord } from '../../src/client/rotations/rotation-audit.js';
import { pauseSignal, resumeSignal, statusQuery } from '../../src/workflow-contract/messages.js';
import { runKeyRotator } from '../support/cli.js';
import { encodingsOf } from '../support/history-payloads.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

async function historyJson(args: string[]): Promise<AuditRecord[]> {
  const run = await runKeyRotator(['history', ...args, '--json'], {
    env: { KEY_ROTATOR_CODEC_KEY: h.keyringJson },
  });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as AuditRecord[];
}

describe('history as the audit trail', () => {
  it('records who started a run and why, its signals, its steps with times, and its keys by label and hash', async () => {
    const old = await h.adoptKey(['audit.env']);
    const worker = await h.worker();
    const { result, runId } = await worker.runUntil(async () => {
      const handle = await h.startRotation(h.rotation('audit', { gracePeriod: '3s' }, ['audit.env']), {
        note: 'leak drill',
      });
      for (let i = 0; i < 300 && (await handle.query(statusQuery)).step !== 'grace'; i++)
        await new Promise((r) => setTimeout(r, 100));
      await handle.signal(pauseSignal, 'waiting for the deploy');
      await new Promise((r) => setTimeout(r, 500));
      await handle.signal(resumeSignal);
      const result = await handle.result();
      return { result, runId: (await handle.describe()).runId };
    });

    let records: AuditRecord[] = [];
    for (let i = 0; i < 50 && records[0]?.status !== 'COMPLETED'; i++) {
      records = await historyJson(['audit']);
      if (records[0]?.status !== 'COMPLETED') await new Promise((r) => setTimeout(r, 300));
    }
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record).toMatchObject({
      rotation: 'audit',
      runId,
      outcome: 'succeeded',
      startedBy: { kind: 'client', reason: 'manual', note: 'leak drill' },
      newKey: { label: result.newKey!.label, hash: result.newKey!.hash },
      oldKeyHash: old.hash,
      oldKeyDeleted: true,
      error: null,
    });
    expect(record.startedBy.identity).not.toBe('');
    expect(record.signals.map((s) => [s.name, s.reason])).toEqual([
      ['pause', 'waiting for the deploy'],
      ['resume', undefined],
    ]);
    expect(record.steps.map((s) => s.step)).toEqual([
      'preflight',
      'create',
      'store',
      'grace',
      'verify',
      'delete',
      'done',
    ]);
    for (const step of record.steps)
      expect(Date.parse(step.endedAt!)).toBeGreaterThanOrEqual(Date.parse(step.startedAt));

    const all = await historyJson(['--all', '--limit', '100']);
    expect(all.find((r) => r.runId === runId)).toMatchObject({ rotation: 'audit', outcome: 'succeeded' });

    const text = JSON.stringify([records, all]);
    for (const secret of [old.key, (await h.readKeyFrom('audit.env'))!, h.emulator.managementKey])
      for (const form of encodingsOf(secret)) expect(text).not.toContain(form);
  });

  it('marks a run it cannot decode (another codec key) instead of failing the whole export', async () => {
    await h.adoptKey(['unreadable.env']);
    const rotation = h.rotation('unreadable', { gracePeriod: '0s' }, ['unreadable.env']);
    const worker = await h.worker();
    const handle = await h.startRotation(rotation);
    await worker.runUntil(() => handle.result());
    const otherKeyring = randomBytes(32).toString('base64');
    const run = await runKeyRotator(['history', 'unreadable', '--json'], {
      env: { KEY_ROTATOR_CODEC_KEY: otherKeyring },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/1 of 1 runs could not be decoded; their records carry readError/);
    const [record] = JSON.parse(run.stdout) as UnreadableAuditRecord[];
    expect(record).toMatchObject({ rotation: 'unreadable', runId: (await handle.describe()).runId });
    expect(record!.readError).toMatch(
      /could not be decoded .*codec key that is no longer in KEY_ROTATOR_CODEC_KEY/,
    );
  });

  it('refuses both a name and --all, or neither', async () => {
    for (const args of [['history', 'audit', '--all'], ['history']]) {
      const run = await runKeyRotator(args, { env: { KEY_ROTATOR_CODEC_KEY: h.keyringJson } });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/either a rotation name or --all/);
    }
  });
});
