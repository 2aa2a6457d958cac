export * from './client.js';
export * from './errors.js';
export { hashOfKey } from './hash.js';
export { formatExpiresAt } from './requests.js';
export { parseRetryAfterMs } from './response-errors.js';
export { labelOfKey, redact } from '../redact.js';
