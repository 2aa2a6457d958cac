/**
 * Turns an HTTP error response from OpenRouter into the typed failure the retry policy matches on,
 * with a message that says what to do next.
 */
import {
  type OpenRouterError,
  OpenRouterAuthError,
  OpenRouterBadRequestError,
  type OpenRouterErrorOptions,
  OpenRouterNotFoundError,
  OpenRouterPaymentError,
  OpenRouterPermissionError,
  OpenRouterRateLimitError,
  OpenRouterResponseError,
  OpenRouterServerError,
} from './errors.js';
import { errorBodySchema } from './schemas.js';
import { parseRetryAfterMs } from '../errors/retry-after.js';

const MAX_API_MESSAGE_LENGTH = 300;

export interface ErrorResponse {
  /** What we were doing, e.g. `GET /keys/{hash}`. */
  operation: string;
  status: number;
  headers: Headers;
  /** The raw body text (JSON or not). */
  bodyText: string;
  /** Whether the bearer was the management key (changes the advice on 401). */
  withManagementKey: boolean;
  /**
   * What the call was about when it was not a key, e.g. `guardrail` or `BYOK credential`: a 404
   * then means no such thing, and a 403 that the management key may not use that part of the API.
   */
  subject?: string;
}

function apiErrorOf(bodyText: string): { code?: number | string; message?: string } {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(bodyText));
    if (parsed.success) return parsed.data.error;
  } catch {
    // Not JSON (a proxy's HTML page, say): fall back to the raw text below.
  }
  const text = bodyText.trim();
  return text === '' ? {} : { message: text.slice(0, MAX_API_MESSAGE_LENGTH) };
}

/**
 * What a 404 means: on a listing (no id in the path template) the endpoint itself is missing, as
 * for an account or API version without that feature; on an id, that item is gone or never was.
 */
function notFoundMeaning(res: ErrorResponse): string {
  if (!res.subject) return 'No such key: it was deleted already or the hash is wrong.';
  if (!res.operation.includes('{')) {
    return `The listing itself is not there: this account or API version lacks OpenRouter's ${res.subject} feature.`;
  }
  return `OpenRouter has no ${res.subject} at that id: it was deleted, the id is wrong, or the account lacks the ${res.subject} feature.`;
}

/** Builds the typed failure for a non-2xx response. */
export function errorFromResponse(res: ErrorResponse): OpenRouterError {
  const api = apiErrorOf(res.bodyText);
  const retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'));
  const options: OpenRouterErrorOptions = {
    status: res.status,
    code: api.code,
    apiMessage: api.message,
    retryAfterMs,
    operation: res.operation,
  };
  const said = `OpenRouter answered ${res.operation} with ${res.status}${api.message ? ` "${api.message}"` : ''}`;

  switch (res.status) {
    case 400:
      return new OpenRouterBadRequestError(
        `${said}. Check the request (key name, limit, limit reset, expiry, workspace id).`,
        options,
      );
    case 401:
      return new OpenRouterAuthError(
        res.withManagementKey
          ? `${said}. Check that the management key is valid, enabled and not expired.`
          : `${said}. The key is unknown, disabled, deleted or expired (a key created seconds ago can also answer 401 for a short while).`,
        options,
      );
    case 402:
      return new OpenRouterPaymentError(`${said}. Add credits to the OpenRouter account.`, options);
    case 403:
      return new OpenRouterPermissionError(
        res.subject && res.withManagementKey
          ? `${said}. The management key may not use OpenRouter's ${res.subject} endpoints: give it that permission (an organisation admin's management key has it).`
          : `${said}. Key management needs a management key (OpenRouter → Settings → Management keys); a normal key over its limit is refused too.`,
        options,
      );
    case 404:
      return new OpenRouterNotFoundError(`${said}. ${notFoundMeaning(res)}`, options);
    case 429:
      return new OpenRouterRateLimitError(
        `${said}. Rate limited; retrying${retryAfterMs === undefined ? ' with backoff' : ` after ${Math.ceil(retryAfterMs / 1000)} s`}.`,
        options,
      );
    default:
      break;
  }
  if (res.status === 408 || res.status >= 500) {
    return new OpenRouterServerError(
      `${said}. OpenRouter is having trouble; the call will be retried.`,
      options,
    );
  }
  if (res.status >= 400) {
    return new OpenRouterBadRequestError(
      `${said}. The request was refused; check it and try again.`,
      options,
    );
  }
  if (res.status >= 300 && res.status < 400) {
    const location = res.headers.get('location');
    return new OpenRouterResponseError(
      `${said}, a redirect${location ? ` to ${location}` : ''}. Set the base URL to the final address (redirects are not followed, so the key is never sent elsewhere).`,
      options,
    );
  }
  return new OpenRouterResponseError(`${said}, which is not a status we expect.`, options);
}
