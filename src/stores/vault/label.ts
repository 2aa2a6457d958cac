import type { VaultDestinationConfig } from './schema.js';

/** `vault:[<namespace>/]<mount>/<path>#<field>`: the namespace is part of where the secret lives. */
export function vaultDestinationLabel(config: VaultDestinationConfig): string {
  const namespace = config.namespace ? `${config.namespace.replace(/\/+$/, '')}/` : '';
  return `vault:${namespace}${trimSlashes(config.mount)}/${trimSlashes(config.path)}#${config.field}`;
}

/**
 * The secret's KV v2 data path as a Vault ACL policy names it, `[<namespace>/]<mount>/data/<path>`:
 * the worker policy's form (a namespace-qualified path is what Vault resolves the namespace header to).
 */
export function vaultDataPath(config: VaultDestinationConfig): string {
  const namespace = config.namespace ? `${trimSlashes(config.namespace)}/` : '';
  return `${namespace}${trimSlashes(config.mount)}/data/${trimSlashes(config.path)}`;
}

/** `s` without leading and trailing slashes (`/apps/x/` → `apps/x`). */
export function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}
