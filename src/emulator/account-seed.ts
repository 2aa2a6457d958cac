/**
 * A large account in one call: N keys "created by hand", guardrails assigned to a share of them,
 * BYOK credentials and observability destinations whose allow-lists name some of them. For the
 * bench and for tests of how the carry-over scales (issue 29); the choice of keys is round-robin,
 * so the same parameters give the same account shape every time.
 */
import { z } from 'zod';
import type { AccountStore } from './account-store.js';
import type { KeyStore } from './key-store.js';

/** Body of `POST /_emulator/account/seed`, and what `RunningEmulator.seedAccount` takes. */
export const accountSeedSchema = z.object({
  /** How many keys to create (default workspace, 40 days old). */
  keys: z.number().int().nonnegative().max(100_000),
  /** How many guardrails the assigned keys share. @default 10 */
  guardrails: z.number().int().positive().max(1000).default(10),
  /** The share of the keys with a guardrail assigned directly, 0–1. @default 0.9 */
  guardrailShare: z.number().min(0).max(1).default(0.9),
  /** BYOK credentials, each allowing a few of the keys. @default 3 */
  byok: z.number().int().nonnegative().max(1000).default(3),
  /** Observability destinations, each forwarding a few of the keys. @default 2 */
  observability: z.number().int().nonnegative().max(1000).default(2),
  /** How many keys each allow-list names. @default 5 */
  keysPerList: z.number().int().positive().max(1000).default(5),
});
export type AccountSeed = z.input<typeof accountSeedSchema>;

export interface SeededAccount {
  /** The keys, in the order they were made, with their secrets (the only place they are shown). */
  keys: { key: string; hash: string }[];
  guardrailIds: string[];
}

export function seedAccount(store: KeyStore, account: AccountStore, seed: AccountSeed): SeededAccount {
  const params = accountSeedSchema.parse(seed);
  const createdAt = new Date(Date.now() - 40 * 86_400_000);
  const keys = Array.from({ length: params.keys }, (_, i) => {
    const { record, key } = store.create({ name: `seeded ${i + 1}`, createdAt });
    return { key, hash: record.hash };
  });
  const guardrailIds = Array.from(
    { length: params.guardrails },
    (_, g) => account.addGuardrail({ name: `seeded guardrail ${g + 1}` }).id,
  );
  const assigned = Math.round(keys.length * params.guardrailShare);
  const byGuardrail = new Map<string, string[]>();
  for (let i = 0; i < assigned; i++) {
    const id = guardrailIds[i % guardrailIds.length]!;
    byGuardrail.set(id, [...(byGuardrail.get(id) ?? []), keys[i]!.hash]);
  }
  for (const [id, hashes] of byGuardrail) account.assign(id, hashes);
  // Allow-lists name keys spread over the account (every n-th key), not only the first ones.
  const listOf = (list: number) => {
    if (keys.length === 0) return null;
    const step = Math.max(1, Math.floor(keys.length / params.keysPerList));
    const hashes = new Set<string>();
    for (let j = 0; j < params.keysPerList; j++) hashes.add(keys[(list + j * step) % keys.length]!.hash);
    return [...hashes];
  };
  for (let b = 0; b < params.byok; b++) {
    account.addByokKey({ provider: 'openai', name: `seeded BYOK ${b + 1}`, allowedApiKeyHashes: listOf(b) });
  }
  for (let o = 0; o < params.observability; o++) {
    account.addObservabilityDestination({
      name: `seeded traces ${o + 1}`,
      url: `https://hooks.test/seeded-${o + 1}`,
      apiKeyHashes: listOf(params.byok + o),
    });
  }
  return { keys, guardrailIds };
}
