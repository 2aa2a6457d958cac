import { createHash } from 'node:crypto';

/**
 * OpenRouter's identifier of a key: the SHA-256 hex digest of the full key string, prefix included
 * (`sk-or-v1-…`). Lets us find the hash of a key we did not create; confirm it with `GET /keys/{hash}`
 * and compare labels before relying on it.
 */
export function hashOfKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
