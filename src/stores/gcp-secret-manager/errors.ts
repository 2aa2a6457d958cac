/**
 * How a Secret Manager (gRPC) error becomes a destination error: a refused permission fails fast
 * naming the IAM permission the call needs, no or bad credentials fail fast, a conflict on the
 * etag or the version number is a conflict, unavailable or overloaded retries. The codes are
 * gRPC's (google.rpc.Code), which Secret Manager answers with.
 */
import {
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
  RotatorError,
} from '../../errors/rotator-errors.js';

/** The gRPC status codes the store tells apart (google/rpc/code.proto). */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const RETRYABLE = new Set<number>([
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.RESOURCE_EXHAUSTED,
  GrpcCode.INTERNAL,
  GrpcCode.UNAVAILABLE,
]);

/** The IAM permission each call needs (roles/secretmanager.admin has all; see docs/operations.md). */
export const PERMISSION_OF = {
  getSecret: 'secretmanager.secrets.get',
  createSecret: 'secretmanager.secrets.create',
  updateSecret: 'secretmanager.secrets.update',
  addSecretVersion: 'secretmanager.versions.add',
  accessSecretVersion: 'secretmanager.versions.access',
  listSecretVersions: 'secretmanager.versions.list',
  disableSecretVersion: 'secretmanager.versions.disable',
  destroySecretVersion: 'secretmanager.versions.destroy',
} as const;

export type SecretManagerCall = keyof typeof PERMISSION_OF;

/** The gRPC status code of `err`, or undefined for an error that is not a gRPC status. */
export function grpcCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'number' ? err.code : undefined;
}

function grpcDetail(err: unknown): string {
  const details =
    typeof err === 'object' && err !== null && 'details' in err && typeof err.details === 'string'
      ? err.details
      : undefined;
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  return details || message;
}

export function gcpDestinationError(
  err: unknown,
  description: string,
  call: SecretManagerCall,
  action: string,
  secretName: string,
): RotatorError {
  // Ours already (a credentials reference the config or the policy refuses): as it is.
  if (err instanceof RotatorError) return err;
  const code = grpcCode(err);
  const detail = grpcDetail(err);
  const options = { cause: err };
  if (code === GrpcCode.PERMISSION_DENIED) {
    return new DestinationAuthError(
      description,
      `Google Cloud refused to ${action} (PERMISSION_DENIED: ${detail}); grant the worker's identity ` +
        `${PERMISSION_OF[call]} on ${secretName} (docs/operations.md lists what a rotation needs)`,
      options,
    );
  }
  if (code === GrpcCode.UNAUTHENTICATED || (code === undefined && isCredentialsProblem(detail))) {
    return new DestinationAuthError(
      description,
      `Google Cloud did not accept the worker's credentials to ${action} (${detail}); check the destination's credentials or ` +
        "the Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, the workload's service account)",
      options,
    );
  }
  if (code === GrpcCode.ABORTED || code === GrpcCode.FAILED_PRECONDITION) {
    return new DestinationConflictError(
      description,
      `another writer changed the secret while the key was written (${detail}). Check it, then rotate again.`,
      options,
    );
  }
  if (code !== undefined && RETRYABLE.has(code)) {
    return new DestinationError(description, `could not ${action}, will retry (${detail})`, {
      retryable: true,
      cause: err,
    });
  }
  if (code === undefined) {
    // No gRPC answer at all (a socket error, a name that does not resolve): retry.
    return new DestinationError(description, `could not reach Secret Manager to ${action} (${detail})`, {
      retryable: true,
      cause: err,
    });
  }
  return new DestinationError(
    description,
    `Secret Manager rejected the request to ${action} (${detail})`,
    options,
  );
}

/** google-auth-library's errors when it finds no usable credentials (no gRPC code: nothing was sent). */
function isCredentialsProblem(message: string): boolean {
  return /default credentials|credentials file|private key|client_email|ENOENT.*\.json|invalid_grant/i.test(
    message,
  );
}
