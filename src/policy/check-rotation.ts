/**
 * Checks a rotation against the worker policy: every place the rotation would send a credential,
 * every variable and file it would read, every file it would write. Returns what the policy
 * refuses, each naming the config field and the rule; values of credentials are never read.
 */
import path from 'node:path';
import type { RotationConfig } from '../config/schema.js';
import type { SecretRef } from '../fields/field-schemas.js';
import type { DestinationConfig } from '../stores/destination-schemas.js';
import type { NotificationSink } from '../events/sink-schemas.js';
import { PolicyViolationError } from '../errors/rotator-errors.js';
import { findDestination, ownCredentialFolders } from '../stores/registry.js';
import { envPatternMatches, workerOwnVariableProblem } from '../fields/env-name-rules.js';
import { insideRoots, realPathOf } from '../fields/path-inside-roots.js';
import { targetAllowed } from '../fields/target-patterns.js';
import { displayUrl, normaliseBaseUrl, originOf, serviceUrlProblem } from '../fields/url-rules.js';
import type { WorkerPolicy } from './worker-policy-schema.js';

/** One thing a rotation asks for that the worker policy does not allow. */
export interface PolicyViolation {
  /** The field inside the rotation, e.g. `destinations[1].address`. */
  path: string;
  /** The rule, e.g. `http://10.0.0.5:8080/api/v1 is not in the worker policy's openrouter.baseUrls (...)`. */
  message: string;
}

export interface CheckRotationOptions {
  /** Folder that relative paths resolve from (the worker's working directory). @default process.cwd() */
  cwd?: string;
}

function notListed(what: string, list: string, allowed: readonly string[]): string {
  return `${what} is not in the worker policy's ${list} (allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'})`;
}

/** Why credentials may not be sent to `url` under `policy`'s `list`, or undefined when they may. */
function urlViolation(
  url: string,
  allowed: readonly string[],
  list: string,
  compare: (url: string) => string,
): string | undefined {
  return (
    serviceUrlProblem(url) ??
    (allowed.includes(compare(url)) ? undefined : notListed(displayUrl(url), list, allowed))
  );
}

/** Why the OpenRouter management key may not be sent to `baseUrl`, or undefined when it may. */
export function openRouterBaseUrlViolation(baseUrl: string, policy: WorkerPolicy): string | undefined {
  return urlViolation(baseUrl, policy.openrouter.baseUrls, 'openrouter.baseUrls', normaliseBaseUrl);
}

/** Why the management key may not be read from variable `name` (or `<name>_FILE`), or undefined. */
export function managementKeyEnvViolation(name: string, policy: WorkerPolicy): string | undefined {
  const allowed = policy.openrouter.managementKeyEnvs;
  return (
    workerOwnVariableProblem(name) ??
    (allowed.includes(name) ? undefined : notListed(name, 'openrouter.managementKeyEnvs', allowed))
  );
}

/**
 * Why a destination credential may not be read through `ref`, or undefined when it may. A file is
 * judged by its real path: a symbolic link inside a root that points outside it is refused. A file
 * in a folder that one kind of destination owns (the pod's service-account token) is refused to
 * every other reader, `reader` being the destination type (none for a notification sink).
 */
export function secretRefViolation(
  ref: SecretRef,
  policy: WorkerPolicy,
  cwd: string,
  reader?: string,
): string | undefined {
  if (ref.env !== undefined) {
    const allowed = policy.credentials.envs;
    return (
      workerOwnVariableProblem(ref.env) ??
      (allowed.some((pattern) => envPatternMatches(pattern, ref.env!))
        ? undefined
        : notListed(ref.env, 'credentials.envs', allowed))
    );
  }
  if (ref.file !== undefined) {
    const file = path.resolve(cwd, ref.file);
    return (
      ownedFolderViolation(file, reader) ??
      filePathViolation(file, policy.credentials.fileRoots, 'credentials.fileRoots')
    );
  }
  return 'no env or file given';
}

/** Why `reader` may not read `file`, a credential folder another kind of destination owns. */
function ownedFolderViolation(file: string, reader: string | undefined): string | undefined {
  const owned = ownCredentialFolders().find(
    (own) => own.type !== reader && insideRoots(file, [own.folder]) === 'inside',
  );
  if (owned === undefined) return undefined;
  return (
    `${file} is in ${owned.folder}, ${owned.what}, which only a ${owned.type} destination may read ` +
    `(${reader === undefined ? 'a notification sink' : `a ${reader} destination`} would send it elsewhere), ` +
    'whatever credentials.fileRoots allows; give it a credential of its own'
  );
}

function filePathViolation(file: string, roots: readonly string[], list: string): string | undefined {
  switch (insideRoots(file, roots)) {
    case 'inside':
      return undefined;
    case 'outside':
      return `${file} is not inside a folder of the worker policy's ${list} (allowed: ${roots.length > 0 ? roots.join(', ') : 'none'}; symbolic links are resolved)`;
    case 'unresolvable':
      return `${file} cannot be resolved to a real path (a dangling symbolic link, or a folder the worker may not read), so the worker policy's ${list} cannot allow it`;
  }
}

/**
 * Why a destination may not write `file` (absolute), or undefined when it may: judged on its real
 * path, once when the rotation is admitted and again by the store in the folder it opened.
 */
export function writtenPathViolation(file: string, policy: WorkerPolicy): string | undefined {
  const policyFile = policy.file === undefined ? undefined : realPathOf(path.resolve(policy.file));
  return (
    filePathViolation(file, policy.destinations.fileRoots, 'destinations.fileRoots') ??
    (policyFile !== undefined && realPathOf(file) === policyFile
      ? `${file} is the worker policy file itself`
      : undefined)
  );
}

/**
 * What `policy` refuses in one destination, from the destination's own account (its registry
 * hooks) of the files it writes, the URLs it sends credentials to and the credentials it reads.
 */
function destinationViolations(
  destination: DestinationConfig,
  at: string,
  policy: WorkerPolicy,
  cwd: string,
): PolicyViolation[] {
  const found: PolicyViolation[] = [];
  const add = (field: string, message: string | undefined) => {
    if (message !== undefined) found.push({ path: `${at}.${field}`, message });
  };
  const kind = findDestination(destination.type);
  if (kind === undefined) {
    // Only a config that skipped the schema gets here; the worker must not guess what it does.
    add('type', `destination type ${String(destination.type)} is not known to the worker policy`);
    return found;
  }
  for (const written of kind.writtenPaths(destination)) {
    add(written.field, writtenPathViolation(path.resolve(cwd, written.path), policy));
  }
  for (const { field, url, allowedBy } of kind.outboundUrls(destination)) {
    const allowed = policy.destinations[allowedBy];
    add(field, urlViolation(url, allowed, `destinations.${allowedBy}`, originOf));
  }
  for (const { field, ref } of kind.credentialRefs(destination)) {
    add(
      `${field}.${ref.env !== undefined ? 'env' : 'file'}`,
      secretRefViolation(ref, policy, cwd, destination.type),
    );
  }
  for (const { field, what, target, allowedBy, ignoreCase } of kind.targets(destination)) {
    const allowed = policy.destinations[allowedBy];
    if (!targetAllowed(target, allowed, { ignoreCase })) {
      add(field, notListed(`${what} ${target}`, `destinations.${allowedBy}`, allowed));
    }
  }
  return found;
}

/** What `policy` refuses in `rotation`; empty when the worker may run it. */
export function checkRotationAgainstPolicy(
  rotation: RotationConfig,
  policy: WorkerPolicy,
  options: CheckRotationOptions = {},
): PolicyViolation[] {
  const cwd = options.cwd ?? process.cwd();
  const found: PolicyViolation[] = [];
  const baseUrl = openRouterBaseUrlViolation(rotation.openrouter.baseUrl, policy);
  if (baseUrl !== undefined) found.push({ path: 'openrouter.baseUrl', message: baseUrl });
  const keyEnv = managementKeyEnvViolation(rotation.openrouter.managementKeyEnv, policy);
  if (keyEnv !== undefined) found.push({ path: 'openrouter.managementKeyEnv', message: keyEnv });
  rotation.destinations.forEach((destination, i) => {
    found.push(...destinationViolations(destination, `destinations[${i}]`, policy, cwd));
  });
  (rotation.notifications ?? []).forEach((sink, i) => {
    found.push(...notificationSinkViolations(sink, `notifications[${i}]`, policy, cwd));
  });
  return found;
}

/**
 * Why events may not be sent to `url` under `policy`, or undefined when they may. A Slack URL is a
 * secret, so it is judged when the sink resolves it; messages never repeat more than its origin.
 */
export function notificationUrlViolation(url: string, policy: WorkerPolicy): string | undefined {
  const problem = serviceUrlProblem(url);
  if (problem !== undefined) return problem;
  const allowed = policy.notifications.webhookOrigins;
  return allowed.includes(originOf(url))
    ? undefined
    : notListed(originOf(url), 'notifications.webhookOrigins', allowed);
}

/** What `policy` refuses in one notification sink: its URL and the credentials it reads. */
function notificationSinkViolations(
  sink: NotificationSink,
  at: string,
  policy: WorkerPolicy,
  cwd: string,
): PolicyViolation[] {
  const found: PolicyViolation[] = [];
  const add = (field: string, message: string | undefined) => {
    if (message !== undefined) found.push({ path: `${at}.${field}`, message });
  };
  const refField = (ref: SecretRef) => (ref.env !== undefined ? 'env' : 'file');
  if (sink.type === 'webhook') {
    add('url', notificationUrlViolation(sink.url, policy));
    add(`secret.${refField(sink.secret)}`, secretRefViolation(sink.secret, policy, cwd));
  } else if (sink.type === 'slack') {
    add(`webhookUrl.${refField(sink.webhookUrl)}`, secretRefViolation(sink.webhookUrl, policy, cwd));
  }
  return found;
}

/**
 * Throws when `policy` refuses anything in `rotation`.
 * @throws PolicyViolationError naming every refused field and the rule.
 */
export function assertRotationAllowed(
  rotation: RotationConfig,
  policy: WorkerPolicy,
  options: CheckRotationOptions = {},
): void {
  const violations = checkRotationAgainstPolicy(rotation, policy, options);
  if (violations.length === 0) return;
  throw new PolicyViolationError(
    `${policy.name} refuses rotation "${rotation.name}": ` +
      `${violations.map((v) => `${v.path}: ${v.message}`).join('; ')}. ` +
      "Change the rotation, or ask the worker's operator to allow it in the policy",
  );
}
