/**
 * What the CLI shows about the carry-over: `apply --dry-run` says what each rotation will carry
 * over (from its config), and `status` of a running rotation shows what its new key took over
 * (read from OpenRouter in preflight). The binary, the shared dev server, a worker in this process.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RotationStatusReport } from '../../src/client/commands/status.js';
import type { RotationWorkers } from '../../src/worker/rotation-workers.js';
import { statusQuery } from '../../src/workflow-contract/messages.js';
import { jsonOf, runKeyRotator, uniqueName } from '../support/cli.js';
import {
  createRotationHarness,
  MANAGEMENT_KEY_ENV,
  type RotationHarness,
} from '../support/rotation-harness.js';

let h: RotationHarness;
let workers: RotationWorkers;
let running: Promise<void>;

function cli(...args: string[]) {
  return runKeyRotator(args, {
    env: { KEY_ROTATOR_CODEC_KEY: h.keyringJson, KEY_ROTATOR_TASK_QUEUE: h.taskQueue },
  });
}

beforeAll(async () => {
  h = await createRotationHarness();
  workers = await h.worker();
  running = workers.run();
});
afterAll(async () => {
  workers?.shutdown();
  await running;
  await h?.close();
});

describe('the carry-over in the CLI', () => {
  it('apply --dry-run says what each rotation carries over, in text and JSON', async () => {
    const inherit = uniqueName('inherit');
    const pinned = uniqueName('pinned');
    const file = join(h.dir, 'carry.yaml');
    const openrouter = (guardrail?: string) => ({
      managementKeyEnv: MANAGEMENT_KEY_ENV,
      baseUrl: h.emulator.apiBaseUrl,
      ...(guardrail ? { guardrail } : {}),
      key: { name: 'app' },
    });
    await writeFile(
      file,
      stringify({
        version: 1,
        rotations: [
          { ...h.rotation(inherit), openrouter: openrouter() },
          {
            ...h.rotation(pinned),
            openrouter: { ...openrouter('none'), workspaceId: '11111111-2222-4333-8444-555555555555' },
          },
        ],
      }),
    );

    const text = await cli('apply', '-f', file, '--dry-run');
    const json = await cli('apply', '-f', file, '--dry-run', '--json');

    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      `${inherit} carries over: (carryOver: auto) the old key's workspace and creator, the old key's guardrail, and the BYOK and observability allow-lists that name the old key, of what the account has`,
    );
    expect(text.stdout).toContain(
      `${pinned} carries over: (carryOver: auto) workspace 11111111-2222-4333-8444-555555555555, no guardrail`,
    );
    expect(jsonOf<{ carryOver: Record<string, string> }>(json).carryOver[pinned]).toMatch(/no guardrail/);
  });

  it('status of a running rotation shows what the new key took over', async () => {
    const name = uniqueName('carried');
    const guardrail = h.emulator.account.addGuardrail({ name: 'cli-guardrail' });
    const old = await h.adoptKey([`${name}.env`]);
    h.emulator.account.assignGuardrail(guardrail.id, [old.hash]);
    const byok = h.emulator.account.addByokKey({ provider: 'anthropic', allowedApiKeyHashes: [old.hash] });
    const handle = await h.startRotation(h.rotation(name, { gracePeriod: '5m' }, [`${name}.env`]));
    try {
      for (let i = 0; i < 300 && (await handle.query(statusQuery)).step !== 'grace'; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }

      const text = await cli('status', name);
      const json = await cli('status', name, '--json');

      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/carries guardrail "cli-guardrail"/);
      expect(text.stdout).toContain('carries allow-list of BYOK anthropic credential');
      const report = jsonOf<RotationStatusReport>(json);
      expect(report.running?.status?.carryOver?.plan.allowLists).toEqual([
        expect.objectContaining({ kind: 'byok', id: byok.id }),
      ]);
    } finally {
      await handle.terminate('test done');
    }
  });
});
