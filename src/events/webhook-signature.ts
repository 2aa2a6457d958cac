/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/): `webhook-signature` is
 * `v1,` + base64 HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the
 * secret's bytes (`whsec_` + base64). Signed with Node's own HMAC; tests verify every delivery
 * with the official `standardwebhooks` package, an independent implementation.
 */
import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/**
 * The key bytes of a signing secret (`whsec_<base64>` or bare base64), or undefined when it is
 * not valid base64 of at least 16 bytes.
 */
export function signingKeyOf(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= 16 ? key : undefined;
}

/** The three Standard Webhooks headers for one delivery attempt of `body`. */
export function standardWebhookHeaders(
  key: Buffer,
  messageId: string,
  at: Date,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const timestamp = Math.floor(at.getTime() / 1000).toString();
  const signature = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  return {
    'webhook-id': messageId,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}
