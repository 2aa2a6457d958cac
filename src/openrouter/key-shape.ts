/**
 * The shape of an OpenRouter API key, and how a value found somewhere is named in messages: by
 * OpenRouter's label when it is a key, and by no part of it when it is not (a password a config
 * pointed at by mistake must not leak its first and last characters, nor a hash to guess it from).
 */
import { labelOfKey } from '../errors/redact.js';

/** What every OpenRouter API key starts with. */
export const OPENROUTER_KEY_PREFIX = 'sk-or-v1-';
const OPENROUTER_API_KEY = /^sk-or-v1-[0-9a-f]{64}$/;

/**
 * Whether `value` has the shape of an OpenRouter API key: `sk-or-v1-` and 64 lowercase hex
 * characters. A new key of any other shape is never stored: it would not be the key OpenRouter
 * means, or the response did not come from OpenRouter.
 */
export function isOpenRouterApiKey(value: string): boolean {
  return OPENROUTER_API_KEY.test(value);
}

/** How messages name a value that is not an OpenRouter key: no label, no hash, no length. */
export const NOT_AN_OPENROUTER_KEY = 'a value that is not an OpenRouter key';

/** A value a destination holds, for a message: its label when it is an OpenRouter key, else {@link NOT_AN_OPENROUTER_KEY}. */
export function describeFoundValue(value: string): string {
  return isOpenRouterApiKey(value) ? labelOfKey(value) : NOT_AN_OPENROUTER_KEY;
}
