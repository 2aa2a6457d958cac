/** Unit tests of the small helpers the rotation relies on to recognise and show keys. */
import { describe, expect, it } from 'vitest';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { formatExpiresAt } from '../../src/openrouter/requests.js';
import { parseRetryAfterMs } from '../../src/errors/retry-after.js';
import { OpenRouterBadRequestError } from '../../src/openrouter/errors.js';
import { labelOfKey, redact } from '../../src/errors/redact.js';

const KEY = `sk-or-v1-0e6${'0'.repeat(57)}1c96`;

describe('hashOfKey', () => {
  it('is the sha256 hex of the full key string, prefix included', () => {
    // Computed independently: python3 -c "import hashlib; print(hashlib.sha256(KEY.encode()).hexdigest())"
    expect(hashOfKey(KEY)).toBe('1bfcdd3cb872ecc356a7a0755456489229c1ff04c5412d56cbc85df61ea474f4');
    expect(hashOfKey(KEY)).not.toBe(hashOfKey(KEY.slice('sk-or-v1-'.length)));
  });
});

describe('labelOfKey', () => {
  it("uses OpenRouter's masked form: prefix, 3 characters, '...', last 4", () => {
    expect(labelOfKey(KEY)).toBe('sk-or-v1-0e6...1c96');
  });

  it('hides short or foreign strings completely', () => {
    expect(labelOfKey('sk-or-v1-abc')).toBe('sk-or-v1-...');
  });

  it('redact replaces every key in a text with its label', () => {
    expect(redact(`old ${KEY}, new ${KEY.replace('0e6', 'fff')}`)).toBe(
      'old sk-or-v1-0e6...1c96, new sk-or-v1-fff...1c96',
    );
  });
});

describe('request and response details', () => {
  it('sends expiry as UTC with seconds and Z, without a fraction', () => {
    expect(formatExpiresAt(new Date('2030-01-01T00:00:00.999Z'))).toBe('2030-01-01T00:00:00Z');
    expect(formatExpiresAt('2030-06-01T14:30:00+02:00')).toBe('2030-06-01T12:30:00Z');
    expect(() => formatExpiresAt('next tuesday')).toThrow(OpenRouterBadRequestError);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(parseRetryAfterMs('7', now)).toBe(7000);
    expect(parseRetryAfterMs('0.5', now)).toBe(500);
    expect(parseRetryAfterMs('Tue, 01 Jan 2030 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
  });
});
