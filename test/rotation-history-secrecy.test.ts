import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from '../src/codec/encryption-codec.js';
import { encodingsOf, payloadsIn } from './support/history-payloads.js';
import { createRotationHarness, type RotationHarness } from './support/rotation-harness.js';

let h: RotationHarness;
beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

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
    // Every payload is encrypted on the server.
    for (const p of payloads) expect(new TextDecoder().decode(p.metadata!.encoding)).toBe('binary/encrypted');

    // Even decrypted (what the Web UI shows through the codec server), keys are only sealed blobs.
    const decoded = await new EncryptionCodec(h.keyring).decode(payloads);
    const decodedJson = JSON.stringify(decoded.map((p) => defaultPayloadConverter.fromPayload(p)));
    expect(decodedJson).toContain('sealed:v2:');

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
});
