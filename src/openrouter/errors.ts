/**
 * OpenRouter failures as typed values: one class per HTTP meaning, each with the status, OpenRouter's
 * own `error.code`/`error.message`, a retry verdict and Retry-After in milliseconds. Messages pass
 * through `redact` (in `RotatorError`), so no key or bearer ever shows up in them.
 */
import { RotatorError, type RotatorErrorOptions } from '../errors/rotator-errors.js';
import { redact } from '../errors/redact.js';

export interface OpenRouterErrorOptions extends RotatorErrorOptions {
  /** HTTP status; absent when no response arrived. */
  status?: number;
  /** OpenRouter's `error.code` (equals the status for documented errors). */
  code?: number | string;
  /** OpenRouter's `error.message`, redacted. */
  apiMessage?: string;
  /** The call as method and path template, e.g. `GET /guardrails/assignments/keys`. */
  operation?: string;
}

/** Base of every OpenRouter failure. */
export class OpenRouterError extends RotatorError {
  readonly status: number | undefined;
  readonly code: number | string | undefined;
  readonly apiMessage: string | undefined;
  readonly operation: string | undefined;

  constructor(message: string, options: OpenRouterErrorOptions = {}) {
    super(message, options);
    this.operation = options.operation;
    this.status = options.status;
    this.code = options.code;
    this.apiMessage = options.apiMessage === undefined ? undefined : redact(options.apiMessage);
  }
}

/** 400: the request is invalid; retrying the same request cannot help. */
export class OpenRouterBadRequestError extends OpenRouterError {}

/** 401: the key in the bearer is missing, unknown, disabled, expired (or, briefly, too new). */
export class OpenRouterAuthError extends OpenRouterError {}

/** 402: the account has no credits left. */
export class OpenRouterPaymentError extends OpenRouterError {}

/** 403: the key may not do this (a normal key on `/keys`, or a key over its limit). */
export class OpenRouterPermissionError extends OpenRouterError {}

/**
 * 404: no such key (on delete this means it is already gone), no such item at that id, or, on a
 * listing, no such endpoint: the account or API version lacks that feature.
 */
export class OpenRouterNotFoundError extends OpenRouterError {}

/** 429: too many requests; retry after `retryAfterMs`. */
export class OpenRouterRateLimitError extends OpenRouterError {
  constructor(message: string, options: OpenRouterErrorOptions = {}) {
    super(message, { ...options, retryable: true });
  }
}

/** 408 or 5xx: OpenRouter had a problem; retry with backoff. */
export class OpenRouterServerError extends OpenRouterError {
  constructor(message: string, options: OpenRouterErrorOptions = {}) {
    super(message, { ...options, retryable: true });
  }
}

/** No answer: connection refused or dropped, DNS failure, or our per-call timeout. */
export class OpenRouterNetworkError extends OpenRouterError {
  /** Whether our own per-call timeout ended the call. */
  readonly timedOut: boolean;

  constructor(message: string, options: OpenRouterErrorOptions & { timedOut?: boolean } = {}) {
    super(message, { ...options, retryable: true });
    this.timedOut = options.timedOut ?? false;
  }
}

export interface OpenRouterResponseErrorOptions extends OpenRouterErrorOptions {
  /** The secret from a create whose response did not validate, when the response held one. */
  createdKey?: string;
  /** The hash from a create whose response did not validate, when the response held one. */
  createdHash?: string;
}

/**
 * The response did not have the shape we rely on. After a create, `createdKey`/`createdHash` carry
 * whatever could be read, so the caller can keep or delete that key instead of losing it.
 */
export class OpenRouterResponseError extends OpenRouterError {
  readonly createdHash: string | undefined;
  // A private field, so console.log / util.inspect / JSON.stringify of the error never print the secret.
  readonly #createdKey: string | undefined;

  constructor(message: string, options: OpenRouterResponseErrorOptions = {}) {
    super(message, options);
    this.#createdKey = options.createdKey;
    this.createdHash = options.createdHash;
  }

  /** The secret of a key created by a call whose response did not validate, if it could be read. */
  get createdKey(): string | undefined {
    return this.#createdKey;
  }
}
