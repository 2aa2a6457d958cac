/**
 * How an AWS SDK error becomes a destination error, for every AWS destination: refused credentials
 * or permissions fail fast and name what to grant, throttling and 5xx retry, no answer at all
 * retries, a missing region says where to set one. A store handles its service's own error names
 * (not found, conflicts) in `specific`, consulted after those rules that hold for every service.
 */
import { errnoCode } from '../errors/errno.js';
import { DestinationAuthError, DestinationError } from '../errors/rotator-errors.js';

export interface AwsErrorContext {
  /** The store's label, which starts every message. */
  description: string;
  /** What was being done, e.g. `store the new version`. */
  action: string;
  /** The service for people, e.g. `AWS Systems Manager Parameter Store`. */
  service: string;
  /** What the worker's IAM identity needs, e.g. `ssm:GetParameter, ssm:PutParameter on this parameter`. */
  permissions: string;
}

/** A service-specific reading of an error (its `name` and first message line), or undefined to fall through. */
export type SpecificAwsError = (
  name: string,
  message: string,
  detail: string,
  options: { cause: unknown },
) => DestinationError | undefined;

const AUTH_ERRORS = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'CredentialsProviderError',
  'DecryptionFailure',
]);

const RETRYABLE_ERRORS = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServiceError',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

export function awsDestinationError(
  err: unknown,
  context: AwsErrorContext,
  specific: SpecificAwsError = () => undefined,
): DestinationError {
  if (err instanceof DestinationError) return err;
  const { description, action, service } = context;
  const name = awsErrorName(err);
  const message = awsErrorMessage(err);
  const status = httpStatus(err);
  // An error body the SDK could not parse (moto answers a JSON service's 403 in XML): the status says it all.
  const unreadable = name === 'SyntaxError' || /Deserialization error/.test(String(err));
  const detail = unreadable && status !== undefined ? `HTTP ${status}` : `${name}: ${message}`;
  const options = { cause: err };
  if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
    return new DestinationAuthError(
      description,
      `AWS refused to ${action} (${detail}); check the worker's AWS credentials and its IAM permissions: ` +
        context.permissions,
      options,
    );
  }
  if (/region is missing/i.test(message)) {
    return new DestinationError(
      description,
      'no AWS region: set `region` on the destination, or AWS_REGION in the worker environment',
      options,
    );
  }
  const known = specific(name, message, detail, options);
  if (known) return known;
  if (
    RETRYABLE_ERRORS.has(name) ||
    (status !== undefined && (status >= 500 || status === 408 || status === 429))
  ) {
    return new DestinationError(description, `could not ${action}, will retry (${detail})`, {
      retryable: true,
      cause: err,
    });
  }
  if (status === undefined || isNetworkError(err)) {
    // No HTTP answer at all: the endpoint is down or unreachable.
    return new DestinationError(description, `could not reach ${service} to ${action} (${detail})`, {
      retryable: true,
      cause: err,
    });
  }
  return new DestinationError(description, `AWS rejected the request to ${action} (${detail})`, options);
}

/** The SDK's error name (`ResourceNotFoundException`, `ParameterNotFound` …). */
export function awsErrorName(err: unknown): string {
  if (err instanceof Error) return err.name;
  return 'Error';
}

/** The first line of the error's message. */
export function awsErrorMessage(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const metadata = err.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

function isNetworkError(err: unknown): boolean {
  const code = errnoCode(err) ?? '';
  return /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH)$/.test(
    code,
  );
}
