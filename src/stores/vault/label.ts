import type { VaultDestinationConfig } from './schema.js';

/** `vault:[<namespace>/]<mount>/<path>#<field>`: the namespace is part of where the secret lives. */
export function vaultDestinationLabel(config: VaultDestinationConfig): string {
  const namespace = config.namespace ? `${config.namespace.replace(/\/+$/, '')}/` : '';
  return `vault:${namespace}${trimSlashes(config.mount)}/${trimSlashes(config.path)}#${config.field}`;
}

/** `s` without leading and trailing slashes (`/apps/x/` → `apps/x`). */
export function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}
