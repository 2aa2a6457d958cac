/**
 * What a new key takes over from the key it replaces: planned by the readAttachments activity,
 * carried out by the workflow, and shown in the workflow's status and by the CLI.
 */

/** An allow-list of key hashes at OpenRouter: a BYOK credential's or an observability destination's. */
export interface AllowListRef {
  kind: 'byok' | 'observability';
  id: string;
  /** What it is, for people: e.g. `BYOK openai credential "prod" (sk-...ab12)`. */
  name: string;
}

/**
 * What a new key takes over from the key it replaces, worked out in preflight: where it is
 * created, the guardrail assigned to it, the allow-lists its hash is added to, and what cannot be
 * carried over (each in words).
 */
export interface CarryOverPlan {
  /** `openrouter.carryOver` of the run; absent in plans recorded before the setting existed (auto). */
  mode?: 'auto' | 'required' | 'off';
  /** Workspace the new key is created in; null = the default workspace. */
  workspaceId: string | null;
  /** Whether `workspaceId` comes from the config rather than the old key. */
  workspaceConfigured: boolean;
  /** The organisation member the new key is created for (the old key's creator). */
  creatorUserId: string | null;
  /** The partner end user the new key is attributed to (the old key's `external_user`). */
  externalUser: string | null;
  /** The guardrail assigned to the new key, and whether the config chose it or the old key had it. */
  guardrail: { id: string; name: string; source: 'inherited' | 'configured' } | null;
  /** Allow-lists that name the old key: the new key is added before the switch, the old removed after its delete. */
  allowLists: AllowListRef[];
  /** What is attached to the old key but is not carried over, and why. */
  notCarried: string[];
}
