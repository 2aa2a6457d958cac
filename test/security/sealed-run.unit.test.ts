/**
 * A sealed key is bound to its run: every run of a rotation has the same workflow id
 * (`rotation-<name>`), so without the run's token a key sealed in an earlier run (its old key, a
 * rollback's target) opened in every later one.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseKeyring } from '../../src/codec/keyring.js';
import { SecretSealer } from '../../src/codec/secret-sealer.js';

const sealer = new SecretSealer(
  parseKeyring(JSON.stringify({ active: 's', keys: { s: randomBytes(32).toString('base64') } }), 'sealing'),
);
const key = `sk-or-v1-${'ab'.repeat(32)}`;
const base = { purpose: 'old-key', rotation: 'prod', workflowId: 'rotation-prod' } as const;
const earlier = { ...base, runToken: '0f8fad5b-d9cb-469f-a165-70867728950e' };
const later = { ...base, runToken: '7c9e6679-7425-40de-944b-e07fc1f90ae7' };

describe('sealed keys bound to their run (sealed:v4)', () => {
  it('opens only in the run that sealed it, not in a later run of the same rotation', () => {
    const sealed = sealer.seal(key, earlier);
    expect(sealed).toMatch(/^sealed:v4:old-key:s:/);
    expect(sealer.unseal(sealed, earlier)).toBe(key);
    expect(() => sealer.unseal(sealed, later)).toThrow(
      /does not open .*run 7c9e6679-.*another rotation, workflow or run/,
    );
    expect(() => sealer.unseal(sealed, base)).toThrow(/expected a sealed key \(sealed:v3:…\)/);
  });

  it('keeps opening sealed:v3 for a run started before the run token, and never in a run with one', () => {
    const legacy = sealer.seal(key, base);
    expect(legacy).toMatch(/^sealed:v3:old-key:s:/);
    expect(sealer.unseal(legacy, base)).toBe(key);
    expect(() => sealer.unseal(legacy, later)).toThrow(/refusing a sealed:v3 key .*not bound to this run/);
  });

  it('does not open a v4 blob relabelled as v3 or with its run swapped', () => {
    const sealed = sealer.seal(key, earlier);
    expect(() => sealer.unseal(sealed.replace('sealed:v4:', 'sealed:v3:'), base)).toThrow(/does not open/);
    expect(() => sealer.unseal(sealed, { ...earlier, workflowId: 'rotation-other' })).toThrow(
      /does not open/,
    );
  });
});
