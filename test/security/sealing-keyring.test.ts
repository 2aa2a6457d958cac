/**
 * The sealing keyring is the worker's alone: the API keys that pass between a rotation's steps are
 * sealed with it, apart from the payload codec keyring, so the codec server (and whoever holds the
 * codec keyring or can decode payloads) has no way to open one. The worker refuses to start
 * without it, or with a key the codec keyring also holds; blobs sealed the old way (a subkey of the
 * codec keyring) are refused.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encrypt } from '../../src/codec/aes-gcm.js';
import { startCodecServer } from '../../src/codec/codec-server.js';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { assertSeparateKeyrings, parseKeyring } from '../../src/codec/keyring.js';
import { SecretSealer, type SealContext } from '../../src/codec/secret-sealer.js';
import { ConfigError, SealedSecretMismatchError } from '../../src/errors/rotator-errors.js';
import { rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import { CLI_TEST_KEYRING, runKeyRotator, uniqueName } from '../support/cli.js';
import { payloadsIn } from '../support/history-payloads.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
let elsewhere: string;
beforeAll(async () => {
  h = await createRotationHarness();
  // A working folder without the `npm start` dev keyrings in .data/, which a worker would pick up.
  elsewhere = await mkdtemp(join(tmpdir(), 'sealing-keyring-'));
});
afterAll(async () => {
  await h?.close();
  if (elsewhere) await rm(elsewhere, { recursive: true, force: true });
});

/** Everything in the payloads, decoded as the codec server's /decode shows it. */
async function decodedThroughCodecServer(payloads: Payload[]): Promise<string> {
  const server = await startCodecServer({
    codec: new EncryptionCodec(h.keyring, { foreignPayloads: 'show' }),
    port: 0,
  });
  try {
    const wire = payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    }));
    const answer = await fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: wire }),
    });
    expect(answer.status).toBe(200);
    const { payloads: shown } = (await answer.json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    return JSON.stringify(
      shown.map((p) =>
        defaultPayloadConverter.fromPayload({
          metadata: Object.fromEntries(
            Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
          ),
          data: Buffer.from(p.data, 'base64'),
        }),
      ),
    );
  } finally {
    await server.close();
  }
}

describe('the codec server and the sealed keys in history', () => {
  it('has no way to unseal a key: no key the codec server holds opens a sealed blob of a real rotation', async () => {
    const old = await h.adoptKey(['sealed.env']);
    const rotation = h.rotation('sealed-apart', {}, ['sealed.env']);
    const worker = await h.worker();
    const history = await worker.runUntil(async () => {
      const started = await h.startRotation(rotation);
      await started.result();
      return started.fetchHistory();
    });
    const newKey = (await h.readKeyFrom('sealed.env'))!;

    const patchMarkers = (history.events ?? [])
      .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
      .flatMap((e) => payloadsIn(e.markerRecordedEventAttributes));
    const decoded = await decodedThroughCodecServer(
      payloadsIn(history).filter((p) => !patchMarkers.includes(p)),
    );
    expect(decoded).not.toContain(newKey);
    expect(decoded).not.toContain(old.key);
    const blobs = [...new Set(decoded.match(/sealed:v\d+:[a-z-]+:[^"\\]+/g) ?? [])];
    expect(blobs.length).toBeGreaterThanOrEqual(2);

    // Every key of the codec keyring, tried under every key id a blob names, as both purposes.
    const workflowId = rotationWorkflowId(rotation.name);
    // The run token the activities received (sealed:v4 binds a blob to its run).
    const runToken = /"runToken":"([0-9a-f-]{36})"/.exec(decoded)?.[1];
    expect(runToken, 'the run token in the activity inputs').toBeDefined();
    for (const blob of blobs) {
      const [, version, purpose, keyId] = /^sealed:(v\d+):([a-z-]+):(.+):[^:]+$/.exec(blob)!;
      expect(version, blob.slice(0, 40)).toBe('v4');
      const context: SealContext = {
        purpose: purpose as SealContext['purpose'],
        rotation: rotation.name,
        workflowId,
        runToken,
      };
      for (const codecKey of h.keyring.keys.values()) {
        const codecKeyUnderBlobId = parseKeyring(
          JSON.stringify({ active: keyId, keys: { [keyId!]: codecKey.toString('base64') } }),
          'the codec key under the sealing key id',
        );
        expect(() => new SecretSealer(codecKeyUnderBlobId).unseal(blob, context)).toThrow(
          SealedSecretMismatchError,
        );
      }
      // The worker's own sealing keyring does open it: the blob is a real one.
      expect(new SecretSealer(h.sealingKeyring).unseal(blob, context)).toMatch(/^sk-or-v1-/);
    }
  });
});

describe('sealed:v2 blobs (sealed with a subkey of the codec keyring)', () => {
  it('are refused, saying why, so a codec keyring holder cannot forge one', () => {
    const context: SealContext = { purpose: 'new-key', rotation: 'forged', workflowId: 'rotation-forged' };
    const [keyId, codecKey] = [...h.keyring.keys.entries()][0]!;
    // What workers before the sealing keyring wrote (and what a codec keyring holder could make).
    const subkey = Buffer.from(
      hkdfSync('sha256', codecKey, Buffer.alloc(0), 'openrouter-key-rotator/secret-sealing/v1', 32),
    );
    const associatedData = Buffer.from(
      JSON.stringify(['sealed:v2:', keyId, context.purpose, context.rotation, context.workflowId]),
    );
    const forged = `sealed:v2:new-key:${keyId}:${encrypt(subkey, Buffer.from(`sk-or-v1-${'ab'.repeat(32)}`), associatedData).toString('base64')}`;
    expect(() => new SecretSealer(h.sealingKeyring).unseal(forged, context)).toThrow(
      /refusing a sealed:v2 key .* derived the sealing key from the payload codec keyring/,
    );
  });
});

describe('the worker and its sealing keyring', () => {
  it('refuses a sealing keyring that shares a key with the codec keyring', () => {
    const shared = randomBytes(32).toString('base64');
    const codec = parseKeyring(JSON.stringify({ active: 'c1', keys: { c1: shared } }), 'codec');
    const sealing = parseKeyring(JSON.stringify({ active: 's1', keys: { s1: shared } }), 'sealing');
    expect(() => assertSeparateKeyrings(codec, sealing)).toThrow(ConfigError);
    expect(() => assertSeparateKeyrings(codec, sealing)).toThrow(
      /sealing key "s1" is also payload codec key "c1"/,
    );
    expect(() => assertSeparateKeyrings(codec, h.sealingKeyring)).not.toThrow();
  });

  it('does not start without a sealing keyring, or with the codec keyring as it: exit 2, naming the variable', async () => {
    const env = { KEY_ROTATOR_TASK_QUEUE: uniqueName('never-polled') };
    const missing = await runKeyRotator(['worker'], {
      cwd: elsewhere,
      env: { ...env, KEY_ROTATOR_SEALING_KEY: undefined },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /no sealing keyring: set KEY_ROTATOR_SEALING_KEY or KEY_ROTATOR_SEALING_KEY_FILE/,
    );
    expect(missing.stdout).not.toContain('polling');

    const same = await runKeyRotator(['worker'], {
      cwd: elsewhere,
      env: { ...env, KEY_ROTATOR_SEALING_KEY: CLI_TEST_KEYRING },
    });
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/sealing key "cli-tests" is also payload codec key "cli-tests"/);
    expect(same.stderr).not.toContain(JSON.parse(CLI_TEST_KEYRING).keys['cli-tests']);
  });
});
