/**
 * An in-process OpenRouter emulator: the key-management API and a minimal chat completion under
 * `/api/v1`, fault injection, and a control API under `/_emulator/`. Used by the tests and the
 * offline demo; it never needs the network.
 */
import { type AccountSeed, seedAccount, type SeededAccount } from './account-seed.js';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { AccountStore } from './account-store.js';
import {
  byokKeyJson,
  guardrailJson,
  keyAssignmentJson,
  observabilityDestinationJson,
  workspaceJson,
} from './account-wire-format.js';
import { API_PREFIX, type ApiContext, apiReply } from './api-routes.js';
import { CONTROL_PREFIX, type ControlContext, type SeedKeyParams, controlReply } from './control-routes.js';
import { type ActiveFaults, type FaultConfig, FaultInjector, type InjectedFaultKind } from './faults.js';
import { BodyTooLargeError, type Reply, bearerOf, json, readBody, send } from './http-io.js';
import { labelOfKey } from '../errors/redact.js';
import { KeyStore, generateOpenRouterKey } from './key-store.js';
import { EmulatorStateWriter, readEmulatorState } from './state-file.js';
import { type EmulatedKeySnapshot, errorJson, keySnapshot } from './wire-format.js';

export type { FaultConfig, InjectedFaultKind } from './faults.js';
export type { EmulatedKeySnapshot } from './wire-format.js';

export interface EmulatorOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** The management key; generated (`sk-or-v1-` + 64 hex) when absent. */
  managementKey?: string;
  /** Faults active from the start. @default none */
  faults?: FaultConfig;
  /** Seed of the generator behind fault rates. @default 1 */
  seed?: number;
  /** Cost counted on a key per chat completion, in USD. @default 0.0001 */
  costPerRequestUsd?: number;
  /**
   * Keeps the keys in this JSON file (mode 0600): loaded at start, saved atomically after every
   * change, so a restarted emulator resumes. It holds no secret (keys by hash and label only);
   * keep the management key in its own file. Faults and the request log are not kept.
   * @default undefined (in memory only)
   */
  stateFile?: string;
  /**
   * Called with the secret of every key the emulator creates (API or seeded, answered or not), so
   * a chaos run can look for keys where they must never appear. It never sees the management key.
   * @default none
   */
  onKeyIssued?: (key: string) => void;
  /**
   * Told one line per `/api/v1` request once it is answered: method, path, status and whose key
   * asked (`management key`, an API key's label, `no key`), plus the label of the key a
   * `/keys/<hash>` path names. Never a key. @default none
   */
  onRequestLine?: (line: string) => void;
}

/** One `/api/v1` request as the emulator answered it; status 0 means the connection was dropped. */
export interface RequestLogEntry {
  method: string;
  /** Path and query, e.g. `/api/v1/keys?offset=100`. */
  path: string;
  status: number;
  /** When the request arrived (ms since the epoch): lets benchmarks measure request rates. */
  receivedAt: number;
}

/** Everything the emulator knows, except secrets: no key appears here. */
export interface EmulatorStateSnapshot {
  /** Every key ever created or seeded, deleted ones included, oldest first. */
  keys: EmulatedKeySnapshot[];
  faults: ActiveFaults;
  /** How many faults of each kind were injected since the start or the last reset. */
  injectedFaults: Partial<Record<InjectedFaultKind, number>>;
  /** The last {@link MAX_LOGGED_REQUESTS} API requests, oldest first. */
  requests: RequestLogEntry[];
  /** What else the account holds, in OpenRouter's wire format. */
  account: {
    workspaces: ReturnType<typeof workspaceJson>[];
    guardrails: ReturnType<typeof guardrailJson>[];
    guardrailAssignments: ReturnType<typeof keyAssignmentJson>[];
    byok: ReturnType<typeof byokKeyJson>[];
    observabilityDestinations: ReturnType<typeof observabilityDestinationJson>[];
  };
}

export interface SeedKeyOptions {
  name: string;
  limit?: number | null;
  limitReset?: 'daily' | 'weekly' | 'monthly' | null;
  disabled?: boolean;
  /** Backdates the key (listing is newest first). @default now */
  createdAt?: Date;
  /** When the key stops working. @default never */
  expiresAt?: Date;
  /** @default the default workspace */
  workspaceId?: string;
  /** The organisation member who created the key. @default null */
  creatorUserId?: string;
}

/** Things a user sets up around keys in OpenRouter's web UI, for tests to start from. */
export interface EmulatorAccount {
  /** A workspace; `ioLoggingApiKeyIds` limits its I/O logging to keys by numeric id. */
  addWorkspace(params: { name: string; ioLoggingApiKeyIds?: number[] | null }): { id: string };
  /** A guardrail (in the default workspace unless given). */
  addGuardrail(params: { name: string; workspaceId?: string; allowedModels?: string[] }): { id: string };
  /** Assigns a guardrail to keys directly (replacing their previous one). */
  assignGuardrail(guardrailId: string, keyHashes: string[]): void;
  /** Takes a guardrail off keys (as a user would, or another rotation). */
  unassignGuardrail(guardrailId: string, keyHashes: string[]): void;
  /** A BYOK provider credential; `workspaceId: null` makes it global. */
  addByokKey(params: {
    provider: string;
    workspaceId?: string | null;
    allowedApiKeyHashes?: string[] | null;
  }): { id: string };
  /** A webhook observability destination that forwards the traffic of `apiKeyHashes` (null = all keys). */
  addObservabilityDestination(params: {
    url: string;
    workspaceId?: string;
    apiKeyHashes?: string[] | null;
  }): { id: string };
}

export interface RunningEmulator {
  /** e.g. `http://127.0.0.1:PORT` */
  url: string;
  /** `url` + `/api/v1`: the base URL to give an OpenRouter client. */
  apiBaseUrl: string;
  managementKey: string;
  /** Replaces every fault. */
  setFaults(f: FaultConfig): void;
  /** Creates a normal key "by hand" (as a user would in OpenRouter's web UI). */
  seedKey(params: SeedKeyOptions): { key: string; hash: string };
  /** Workspaces, guardrails, BYOK credentials and observability destinations "by hand". */
  account: EmulatorAccount;
  /** A large account at once: N keys, guardrails on a share of them, BYOK and observability lists. */
  seedAccount(seed: AccountSeed): SeededAccount;
  snapshot(): EmulatorStateSnapshot;
  /** Forgets every key, account setting, fault and logged request; the management key stays. */
  reset(): void;
  /** Stops listening; with `stateFile`, resolves once the last change is saved. */
  stop(): Promise<void>;
}

export const MAX_LOGGED_REQUESTS = 1000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const managementKey = options.managementKey ?? generateOpenRouterKey();
  const now = () => new Date();
  const stateFile = options.stateFile;
  const writer = stateFile ? new EmulatorStateWriter(stateFile, () => store.all()) : undefined;
  const store = new KeyStore(now, () => writer?.save(), options.onKeyIssued);
  const saved = stateFile ? await readEmulatorState(stateFile) : undefined;
  if (saved) store.load(saved);
  const account = new AccountStore(now);
  const faults = new FaultInjector(options.seed ?? 1);
  if (options.faults) faults.set(options.faults);
  let requests: RequestLogEntry[] = [];

  const apiContext: ApiContext = {
    managementKey,
    store,
    account,
    faults,
    costPerRequestUsd: options.costPerRequestUsd ?? 0.0001,
    now,
  };

  const seedKey = (params: SeedKeyParams | SeedKeyOptions) => {
    const { record, key } = store.create(params);
    return { key, hash: record.hash };
  };
  const snapshot = (): EmulatorStateSnapshot => ({
    keys: store.all().map((k) => keySnapshot(store, k)),
    faults: faults.current,
    injectedFaults: faults.injected,
    requests: [...requests],
    account: {
      workspaces: account.workspaces().map(workspaceJson),
      guardrails: account.guardrails().map(guardrailJson),
      guardrailAssignments: account.assignments().map((a) => keyAssignmentJson(store, a)),
      byok: account.byokKeys('*').map(byokKeyJson),
      observabilityDestinations: account.allObservabilityDestinations().map(observabilityDestinationJson),
    },
  });
  const controlContext: ControlContext = {
    managementKey,
    snapshot,
    setFaults: (f) => faults.set(f),
    seedKey,
    seedAccount: (seed) => seedAccount(store, account, seed),
    reset: () => {
      store.clear();
      account.clear();
      faults.reset();
      requests = [];
    },
  };

  /** `DELETE /api/v1/keys/5d41402abc4b… 200 by management key (key sk-or-v1-abc...xyz)` */
  const requestLine = (entry: RequestLogEntry, bearer: string | undefined): string => {
    const who =
      bearer === undefined ? 'no key' : bearer === managementKey ? 'management key' : labelOfKey(bearer);
    const named = /\/keys\/([0-9a-f]{64})(?:$|[/?])/.exec(entry.path)?.[1];
    const namedKey = named ? store.find(named) : undefined;
    const path = named ? entry.path.replace(named, `${named.slice(0, 12)}…`) : entry.path;
    const status = entry.status === 0 ? 'dropped' : String(entry.status);
    return `${entry.method} ${path} ${status} by ${who}${namedKey ? ` (key ${namedKey.label})` : ''}`;
  };
  const logRequest = (entry: RequestLogEntry) => {
    requests.push(entry);
    if (requests.length > MAX_LOGGED_REQUESTS) requests.splice(0, requests.length - MAX_LOGGED_REQUESTS);
  };

  async function apiWithFaults(req: IncomingMessage, url: URL): Promise<Reply> {
    const method = req.method ?? 'GET';
    if (faults.latencyMs > 0) await delay(faults.latencyMs);
    const spikeMs = faults.takeLatencySpike();
    if (spikeMs > 0) await delay(spikeMs);
    const injected = faults.errorFor(method, url.pathname);
    if (injected) {
      const headers =
        injected.retryAfterSeconds === undefined
          ? undefined
          : { 'retry-after': String(injected.retryAfterSeconds) };
      return json(injected.status, errorJson(injected.status, injected.message), headers);
    }
    const reply = await apiReply(apiContext, {
      method,
      path: url.pathname.slice(API_PREFIX.length),
      query: url.searchParams,
      bearer: bearerOf(req),
      body: () => readBody(req),
    });
    if (faults.responseDelayMs > 0) await delay(faults.responseDelayMs);
    return reply;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const method = req.method ?? 'GET';
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      const receivedAt = Date.now();
      const reply = await apiWithFaults(req, url);
      const entry: RequestLogEntry = {
        method,
        path: url.pathname + url.search,
        status: reply === 'drop' ? 0 : reply.status,
        receivedAt,
      };
      logRequest(entry);
      options.onRequestLine?.(requestLine(entry, bearerOf(req)));
      send(res, reply);
      return;
    }
    if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) {
      send(
        res,
        await controlReply(controlContext, {
          method,
          path: url.pathname,
          bearer: bearerOf(req),
          body: () => readBody(req),
        }),
      );
      return;
    }
    send(res, json(404, errorJson(404, 'Not Found')));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Never echo request data back: it may hold a key.
      if (err instanceof BodyTooLargeError) send(res, json(413, errorJson(413, 'Request body too large')));
      else send(res, json(500, errorJson(500, 'Internal Server Error')));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  let stopped: Promise<void> | undefined;

  return {
    url,
    apiBaseUrl: `${url}${API_PREFIX}`,
    managementKey,
    setFaults: (f) => faults.set(f),
    seedKey,
    account: {
      addWorkspace: (params) => ({ id: account.addWorkspace(params).id }),
      addGuardrail: (params) => ({ id: account.addGuardrail(params).id }),
      assignGuardrail: (guardrailId, keyHashes) => void account.assign(guardrailId, keyHashes),
      unassignGuardrail: (guardrailId, keyHashes) => void account.unassign(guardrailId, keyHashes),
      addByokKey: (params) => ({ id: account.addByokKey(params).id }),
      addObservabilityDestination: (params) => ({ id: account.addObservabilityDestination(params).id }),
    },
    seedAccount: controlContext.seedAccount,
    snapshot,
    reset: controlContext.reset,
    stop: () => {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections (fetch keeps them) would hold close() open.
        server.closeAllConnections();
      }).then(() => writer?.flush());
      return stopped;
    },
  };
}
