/**
 * The one place that knows how to reach Temporal, for the CLI and the worker alike: the settings,
 * read once from the environment the way every Temporal tool reads them (@temporalio/envconfig:
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings, config-file profiles), our
 * defaults, and the error a user sees when Temporal cannot be reached.
 *
 * The CLI connects with a client Connection and fails fast (about 2 s when nothing listens); the worker connects with a
 * NativeConnection and, at start-up, waits (bounded) for a server that is not up yet.
 */
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnection } from '@temporalio/worker';
import { tryParseDuration } from '../fields/duration.js';
import { errnoCode } from '../errors/errno.js';
import { ConfigError, RotatorError } from '../errors/rotator-errors.js';
import { redact } from '../errors/redact.js';

import { DEFAULT_TEMPORAL_ADDRESS } from './default-address.js';

export { DEFAULT_TEMPORAL_ADDRESS };
/** @default "default" */
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';
/** How long the worker waits for Temporal at start-up, as a duration (`60s`, `5m`). */
export const CONNECT_TIMEOUT_ENV = 'KEY_ROTATOR_CONNECT_TIMEOUT';
/** @default 60 s */
export const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;

/** Temporal cannot be reached; retrying later, or pointing TEMPORAL_ADDRESS elsewhere, can help. */
export class TemporalUnavailableError extends RotatorError {}

const WHERE_HINT =
  'set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TEMPORAL_API_KEY or TLS settings for Temporal Cloud)';
/** How the Temporal docs start a local server; `temporal` is often not on PATH, so say where it comes from. */
const DOCS_SERVER_HINT =
  'or install the Temporal CLI (https://docs.temporal.io/cli#install) and start a local server with ' +
  '`temporal server start-dev`';

/**
 * What to do when Temporal cannot be reached: where to point the CLI, and how to start a local
 * server. In a checkout of this repository that is `npm start` (it brings its own Temporal CLI
 * and runs the whole local stack); elsewhere the Temporal docs' way.
 */
export function temporalUnavailableHint(checkoutRoot?: string): string {
  if (checkoutRoot)
    return `${WHERE_HINT}, or run \`npm start\` in ${checkoutRoot} (a local Temporal, worker and emulator)`;
  return `${WHERE_HINT}, ${DOCS_SERVER_HINT}`;
}

export interface TemporalSettings {
  /** host:port of the frontend. @default DEFAULT_TEMPORAL_ADDRESS */
  address: string;
  /** @default DEFAULT_TEMPORAL_NAMESPACE */
  namespace: string;
  /** What envconfig found (TLS, API key, gRPC metadata), with `address` filled in. */
  connectionOptions: ClientConnectConfig['connectionOptions'] & { address: string };
}

/**
 * Reads the connection settings from `env` (and the Temporal config file it points to).
 * @throws TemporalUnavailableError when the Temporal configuration cannot be read.
 */
export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  let config: ClientConnectConfig;
  try {
    config = loadClientConnectConfig({
      overrideEnvVars: Object.fromEntries(
        Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
      ),
    });
  } catch (err) {
    throw new TemporalUnavailableError(
      `cannot read the Temporal client configuration: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const address = config.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  return {
    address,
    namespace: config.namespace ?? DEFAULT_TEMPORAL_NAMESPACE,
    connectionOptions: { ...config.connectionOptions, address },
  };
}

/**
 * How long the worker keeps trying to reach Temporal at start-up: KEY_ROTATOR_CONNECT_TIMEOUT.
 * @default DEFAULT_CONNECT_TIMEOUT_MS
 * @throws ConfigError when it is not a duration.
 */
export function connectTimeoutFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[CONNECT_TIMEOUT_ENV]?.trim();
  if (!raw) return DEFAULT_CONNECT_TIMEOUT_MS;
  const ms = tryParseDuration(raw);
  if (ms === undefined)
    throw new ConfigError(`${CONNECT_TIMEOUT_ENV}=${raw}: expected a duration such as 60s, 5m or 0s`);
  return ms;
}

/** The error every command ends with when Temporal does not answer. */
export function temporalUnavailable(
  address: string,
  reason: string,
  hint: string = temporalUnavailableHint(),
): TemporalUnavailableError {
  return new TemporalUnavailableError(`cannot reach Temporal at ${address}: ${reason}; ${hint}`, {
    retryable: true,
  });
}

/**
 * Why a connection attempt failed, in words. The worker's native bridge reports Rust's debug form
 * (`tonic::transport::Error(Transport, ConnectError(... message: "Connection refused" ...))`),
 * which says nothing to an operator: its innermost description is the reason.
 */
export function connectFailureReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!message.includes('tonic::')) return redact(message);
  const kind = /ConnectError\("([^"]+)"/.exec(message)?.[1];
  const detail = [...message.matchAll(/(?:message|error): "([^"]+)"/g)].at(-1)?.[1];
  if (detail) return redact(kind ? `${kind}: ${detail}` : detail);
  return redact(message.replace(/^tonic::transport::Error\((.*)\)$/s, '$1').replaceAll('tonic::', ''));
}

export interface ConnectClientOptions {
  /** How long to wait for the server's gRPC answer once its port accepts connections. @default "5s" */
  connectTimeout?: string;
  /**
   * How long the port may take to accept a TCP connection. gRPC keeps retrying a refused port
   * until its deadline; this check tells "nothing listens" apart at once. @default 2000
   */
  reachTimeoutMs?: number;
  /** What the error suggests when Temporal cannot be reached. @default temporalUnavailableHint() */
  hint?: string;
  /** Proxy variables are read from here (a proxy makes the port check meaningless). @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** The CLI's connection: one attempt, failing within about two seconds when nothing listens. */
export async function connectClient(
  settings: TemporalSettings,
  options: ConnectClientOptions = {},
): Promise<Connection> {
  const env = options.env ?? process.env;
  const viaProxy = ['grpc_proxy', 'https_proxy', 'http_proxy'].some(
    (name) => env[name] || env[name.toUpperCase()],
  );
  if (!viaProxy) {
    const unreachable = await portUnreachable(settings.address, options.reachTimeoutMs ?? 2_000);
    if (unreachable) throw temporalUnavailable(settings.address, unreachable, options.hint);
  }
  try {
    return await Connection.connect({
      ...settings.connectionOptions,
      connectTimeout: options.connectTimeout ?? '5s',
    });
  } catch (err) {
    throw temporalUnavailable(settings.address, connectFailureReason(err), options.hint);
  }
}

/** Why nothing accepts a TCP connection at `address` (host:port) within `timeoutMs`; undefined when something does. */
async function portUnreachable(address: string, timeoutMs: number): Promise<string | undefined> {
  let host: string;
  let port: number;
  try {
    const url = new URL(`tcp://${address}`);
    host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    port = Number(url.port || 7233);
  } catch {
    return undefined; // Not host:port: let gRPC judge it.
  }
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => {
      const code = errnoCode(err);
      done(code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : redact(err.message));
    });
  });
}

export interface ConnectWorkerOptions {
  /** How long to keep trying while Temporal does not answer. @default DEFAULT_CONNECT_TIMEOUT_MS */
  timeoutMs?: number;
  /** Gives up waiting (resolves undefined) when aborted. */
  signal?: AbortSignal;
  /** Told what the worker is waiting for before each pause. @default console.error */
  onWait?: (line: string) => void;
}

/** First pause between attempts; it doubles up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 10_000;
/** How long one attempt may take, whatever the bound (a silently dropped SYN takes that long to notice). */
const MIN_ATTEMPT_MS = 10_000;

/** Failures that waiting cannot fix: the server answered and refused us. */
function isRefusal(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /Unauthenticated|PermissionDenied|authentication credentials|does not have permission/i.test(
    message,
  );
}

/**
 * The worker's connection. While Temporal does not answer (not started yet, restarting, a network
 * that is still coming up) it tries again with a doubling pause, saying what it waits for, for at
 * most `options.timeoutMs`; a server that answers and refuses (credentials) fails at once.
 * @returns undefined when `signal` was aborted before a connection was made.
 * @throws TemporalUnavailableError when the bound is reached or the server refuses the worker.
 */
export async function connectWorker(
  settings: TemporalSettings,
  options: ConnectWorkerOptions = {},
): Promise<NativeConnection | undefined> {
  // Loaded here, not at the top: the CLI imports this module and must not load the native bridge.
  const { NativeConnection } = await import('@temporalio/worker');
  const onWait = options.onWait ?? ((line: string) => console.error(line));
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let pauseMs = FIRST_PAUSE_MS;
  for (let attempt = 1; ; attempt++) {
    const connecting = NativeConnection.connect(settings.connectionOptions);
    // Even a 0 s bound allows one whole attempt.
    const attemptDeadline = Math.max(deadline, Date.now() + MIN_ATTEMPT_MS);
    let failure: unknown;
    try {
      const connection = await untilDeadline(connecting, attemptDeadline);
      if (connection) return connection;
      // The attempt outlived the bound: close it should it still succeed.
      connecting.then((late) => late.close()).catch(() => undefined);
      failure = new Error(`no answer within ${Math.round((attemptDeadline - started) / 1000)} s`);
    } catch (err) {
      failure = err;
    }
    if (options.signal?.aborted) return undefined;
    const reason = connectFailureReason(failure);
    const remainingMs = deadline - Date.now();
    if (isRefusal(failure)) throw temporalUnavailable(settings.address, reason);
    if (remainingMs <= 0) {
      const tried = `${attempt} attempt${attempt === 1 ? '' : 's'} in ${Math.round((Date.now() - started) / 1000)} s`;
      throw temporalUnavailable(
        settings.address,
        `${reason} (${tried}; ${CONNECT_TIMEOUT_ENV} sets how long the worker waits)`,
      );
    }
    const nextMs = Math.min(pauseMs, remainingMs);
    onWait(
      `waiting for Temporal at ${settings.address} (attempt ${attempt}, next in ${Math.ceil(nextMs / 1000)} s; ` +
        `gives up after ${Math.round(timeoutMs / 1000)} s): ${reason}`,
    );
    const slept = await sleep(nextMs, true, { signal: options.signal }).catch(() => false);
    if (!slept) return undefined;
    pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS);
  }
}

/** `promise`'s value, or undefined once `deadline` (epoch ms) has passed. */
async function untilDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
