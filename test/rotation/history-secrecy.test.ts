import { fileURLToPath } from 'node:url';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { startCodecServer } from '../../src/codec/codec-server.js';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { encodingsOf, failuresIn, payloadsIn } from '../support/history-payloads.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

/** What OpenRouter's error body says in the failed rotation: it must never be in history in clear. */
const UPSTREAM_ERROR_BODY = 'upstream-says-limit-exceeds-org-cap-7f3a9c';
/** Where our sources live: stack traces name these paths. */
const SOURCE_ROOT = fileURLToPath(new URL('../../src/', import.meta.url));
/** Any full OpenRouter key (labels show 3 characters, keys 64). */
const ANY_KEY = /sk-or-v1-[0-9a-f]{16,}/;

async function failedRun(
  handle: Promise<WorkflowHandle>,
): Promise<{ handle: WorkflowHandle; message: string }> {
  const started = await handle;
  const error = await started.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return { handle: started, message: String((error as WorkflowFailedError).cause?.message) };
}

function base64Text(value: unknown): string {
  return Buffer.from(String(value), 'base64').toString('utf8');
}

describe('workflow history secrecy', () => {
  it('holds neither the new key, the old key nor the management key, in plain or base64 form, even decoded', async () => {
    const old = await h.adoptKey(['secret.env']);
    const rotation = h.rotation('secrecy', {}, ['secret.env']);
    const worker = await h.worker();
    const handle = await worker.runUntil(async () => {
      const started = await h.startRotation(rotation);
      await started.result();
      return started;
    });
    const newKey = (await h.readKeyFrom('secret.env'))!;
    expect(newKey).not.toBe(old.key);

    const history = await handle.fetchHistory();
    const rawJson = historyToJSON(history);
    const payloads = payloadsIn(history);
    expect(payloads.length).toBeGreaterThan(10);
    // Every payload is encrypted on the server, but for the marker Temporal's core itself writes for
    // patched() (no data converter touches it): it holds the patch id and nothing else.
    const patchMarkers = new Set(
      (history.events ?? [])
        .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
        .flatMap((e) => payloadsIn(e.markerRecordedEventAttributes)),
    );
    for (const p of patchMarkers) {
      expect(defaultPayloadConverter.fromPayload(p)).toEqual({
        // A patch id (carry-over-attachments, lifecycle-events, …): lowercase words, nothing else.
        id: expect.stringMatching(/^[a-z]+(?:-[a-z]+)*$/),
        deprecated: false,
      });
    }
    for (const p of payloads.filter((p) => !patchMarkers.has(p))) {
      expect(new TextDecoder().decode(p.metadata!.encoding)).toBe('binary/encrypted');
    }

    // Even decrypted (what the Web UI shows through the codec server), keys are only sealed blobs.
    const decoded = await new EncryptionCodec(h.keyring).decode(payloads.filter((p) => !patchMarkers.has(p)));
    const decodedJson = JSON.stringify(decoded.map((p) => defaultPayloadConverter.fromPayload(p)));
    expect(decodedJson).toContain('sealed:v4:');

    const describeJson = JSON.stringify(await handle.describe(), (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    for (const secret of [newKey, old.key, h.emulator.managementKey]) {
      for (const form of encodingsOf(secret)) {
        expect(rawJson).not.toContain(form);
        expect(decodedJson).not.toContain(form);
        expect(describeJson).not.toContain(form);
      }
    }
  });

  it('keeps failure messages and stack traces of a failed and a rolled-back rotation encrypted', async () => {
    const failedOld = await h.adoptKey(['failed.env']);
    const rolledOld = await h.adoptKey(['rolled.env']);
    const worker = await h.worker();
    const runs = await worker.runUntil(async () => {
      // Fails at create: OpenRouter refuses with an error body the failure message quotes.
      h.emulator.setFaults({
        scripted: [{ method: 'POST', path: '^/api/v1/keys$', status: 400, message: UPSTREAM_ERROR_BODY }],
      });
      const failed = await failedRun(h.startRotation(h.rotation('secrecy-failed', {}, ['failed.env'])));
      // Rolled back at verify: the new key keeps answering 401, so the destination is restored.
      h.emulator.setFaults({ freshKeyUnauthorizedMs: 60_000 });
      const rolledBack = await failedRun(
        h.startRotation(h.rotation('secrecy-rolled', { verify: { newKeyWindow: '2s' } }, ['rolled.env'])),
      );
      h.emulator.setFaults({});
      return { failed, rolledBack };
    });
    // The client, through the data converter, still reads the real messages.
    expect(runs.failed.message).toContain(UPSTREAM_ERROR_BODY);
    expect(runs.rolledBack.message).toMatch(/rolled back.*401/);
    expect(await h.readKeyFrom('rolled.env')).toBe(rolledOld.key);

    const codecServer = await startCodecServer({
      codec: new EncryptionCodec(h.keyring, { foreignPayloads: 'show' }),
      port: 0,
    });
    try {
      const cases = [
        { handle: runs.failed.handle, clearText: UPSTREAM_ERROR_BODY },
        { handle: runs.rolledBack.handle, clearText: 'still refused by OpenRouter' },
      ];
      for (const { handle, clearText } of cases) {
        const rawJson = historyToJSON(await handle.fetchHistory());
        const failures = failuresIn(JSON.parse(rawJson));
        // At least the failed activity's failure and the run's own.
        expect(failures.length).toBeGreaterThanOrEqual(2);
        for (const failure of failures) {
          expect(failure.message).toBe('Encoded failure');
          expect(failure.stackTrace ?? '').toBe('');
          const attributes = failure.encodedAttributes as { metadata: Record<string, string> };
          expect(base64Text(attributes.metadata.encoding)).toBe('binary/encrypted');
        }
        // In clear: no error body, no source path from a stack trace, no key.
        expect(rawJson).not.toContain(clearText);
        expect(rawJson).not.toContain(SOURCE_ROOT);
        expect(rawJson).not.toMatch(ANY_KEY);
        for (const secret of [failedOld.key, rolledOld.key, h.emulator.managementKey]) {
          for (const form of encodingsOf(secret)) expect(rawJson).not.toContain(form);
        }

        // The Web UI sends `encodedAttributes` to the codec server like any payload: it gets the
        // message and stack trace back, with keys still only as labels.
        const res = await fetch(`${codecServer.url}/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ payloads: failures.map((f) => f.encodedAttributes) }),
        });
        expect(res.status).toBe(200);
        const { payloads } = (await res.json()) as {
          payloads: { metadata: Record<string, string>; data: string }[];
        };
        const shown = payloads.map((p) =>
          defaultPayloadConverter.fromPayload<{ message: string; stack_trace: string }>({
            metadata: Object.fromEntries(
              Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
            ),
            data: Buffer.from(p.data, 'base64'),
          } satisfies Payload),
        );
        expect(shown.every((a) => typeof a.message === 'string' && a.message !== 'Encoded failure')).toBe(
          true,
        );
        expect(shown.some((a) => a.message.includes(clearText))).toBe(true);
        expect(shown.some((a) => a.stack_trace.includes(SOURCE_ROOT))).toBe(true);
        expect(JSON.stringify(shown)).not.toMatch(ANY_KEY);
      }
    } finally {
      await codecServer.close();
    }
  });
});
