import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec, METADATA_KEY_ID } from '../../src/codec/encryption-codec.js';
import { DEV_KEYRING_PATH, loadKeyring, parseKeyring } from '../../src/codec/keyring.js';
import { SecretSealer } from '../../src/codec/secret-sealer.js';
import { ConfigError } from '../../src/errors/rotator-errors.js';

const key = () => randomBytes(32).toString('base64');
const secret = `sk-or-v1-${'0123456789abcdef'.repeat(4)}`;

describe('payload codec', () => {
  it('encrypts payloads so the plaintext is nowhere in them, and decrypts them back', async () => {
    const codec = new EncryptionCodec(
      parseKeyring(JSON.stringify({ active: 'a', keys: { a: key() } }), 'test'),
    );
    const payload = defaultPayloadConverter.toPayload({ note: secret });
    const [encoded] = await codec.encode([payload]);
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain(secret);
    expect(Buffer.from(encoded!.data!).toString('base64')).not.toContain(
      Buffer.from(secret).toString('base64'),
    );
    expect(new TextDecoder().decode(encoded!.metadata![METADATA_KEY_ID])).toBe('a');
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ note: secret });
  });

  it('decrypts payloads written with an older key after the active key rotates', async () => {
    const k1 = key();
    const oldCodec = new EncryptionCodec(parseKeyring(JSON.stringify({ active: 'k1', keys: { k1 } }), 'old'));
    const [encoded] = await oldCodec.encode([defaultPayloadConverter.toPayload('hello')]);
    const rotated = new EncryptionCodec(
      parseKeyring(JSON.stringify({ active: 'k2', keys: { k1, k2: key() } }), 'new'),
    );
    const [decoded] = await rotated.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toBe('hello');
    const [reencoded] = await rotated.encode([decoded!]);
    expect(new TextDecoder().decode(reencoded!.metadata![METADATA_KEY_ID])).toBe('k2');
  });

  it('refuses tampered ciphertext and unknown key ids', async () => {
    const codec = new EncryptionCodec(parseKeyring(key(), 'bare key'));
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const tampered = { ...encoded!, data: Uint8Array.from(encoded!.data!, (b, i) => (i === 20 ? b ^ 1 : b)) };
    await expect(codec.decode([tampered])).rejects.toThrow();
    const other = new EncryptionCodec(parseKeyring(key(), 'other'));
    await expect(other.decode([encoded!])).rejects.toThrow(/not in the keyring/);
  });

  it('rejects malformed keyrings with a message naming the source', () => {
    expect(() => parseKeyring('short', 'KEY_ROTATOR_CODEC_KEY')).toThrow(
      /KEY_ROTATOR_CODEC_KEY: expected a base64/,
    );
    expect(() => parseKeyring('{"active":"x","keys":{"y":"' + key() + '"}}', 'f.json')).toThrow(
      /active must name/,
    );
    expect(() => parseKeyring('{"active":"x","keys":{"x":"AAAA"}}', 'f.json')).toThrow(/32 bytes/);
  });

  it('refuses to run without a key unless the local dev keyring is allowed, which it creates 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keyring-'));
    try {
      await expect(loadKeyring({ env: {}, cwd: dir })).rejects.toBeInstanceOf(ConfigError);
      const created = await loadKeyring({ env: {}, cwd: dir, allowDevKey: true });
      expect((await stat(join(dir, DEV_KEYRING_PATH))).mode & 0o777).toBe(0o600);
      // Later runs (the CLI, a restarted worker) reuse it.
      const again = await loadKeyring({ env: {}, cwd: dir });
      expect(again.keys.get(again.activeKeyId)).toEqual(created.keys.get(created.activeKeyId));
      expect(await readFile(join(dir, DEV_KEYRING_PATH), 'utf8')).toContain('"active": "dev"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('secret sealer', () => {
  it('seals a key into an opaque blob that only the keyring opens', () => {
    const keyring = parseKeyring(key(), 'k');
    const context = { purpose: 'new-key', rotation: 'r', workflowId: 'rotation-r' } as const;
    const sealed = new SecretSealer(keyring).seal(secret, context);
    expect(sealed).toMatch(/^sealed:v3:/);
    expect(sealed).not.toContain(secret.slice(9, 30));
    expect(new SecretSealer(keyring).unseal(sealed, context)).toBe(secret);
    expect(() => new SecretSealer(parseKeyring(key(), 'other')).unseal(sealed, context)).toThrow(
      /not in the sealing keyring/,
    );
  });
});
