/**
 * One key of a Kubernetes Secret. A missing Secret is created (POST, which fails if someone else
 * created it meanwhile); an existing one gets our key by server-side apply under a field manager
 * of its own (`openrouter-key-rotator/<key>`), with the resourceVersion we just read as a precondition, so only our key is written
 * and a concurrent change is never overwritten unseen. On 409 we re-read: our value there means an
 * earlier attempt went through; another value in our key means someone else is writing it
 * (DestinationConflictError); a change elsewhere in the Secret is merged by applying again, a
 * bounded number of times.
 *
 * Previous value: a Secret has no history, and copying the old key into another key of the
 * Secret would hand it to every pod that mounts the whole Secret. The rollback value is the one
 * the rotation read before the switch and holds sealed; `restore` writes it back.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
} from '../../errors/rotator-errors.js';
import type { SecretStore, StoredSecret, WriteOptions, WriteResult } from '../secret-store.js';
import {
  kubeRequest,
  statusOf,
  unexpectedKubeStatus,
  type KubeRequest,
  type KubeResponse,
} from './kube-client.js';
import { resolveConnection, type KubeClientDeps, type KubeConnection } from './kubeconfig.js';
import { kubernetesSecretDestinationLabel } from './label.js';
import {
  parseWorkload,
  restartedFor,
  restartPatch,
  rolloutState,
  workloadPath,
  workloadResource,
} from './rollout.js';
import type { KubernetesRestartTarget, KubernetesSecretDestinationConfig } from './schema.js';

/** The field manager our workload patches are recorded under in managedFields. */
export const FIELD_MANAGER = 'openrouter-key-rotator';

/** Kubernetes refuses longer field manager names. */
const MAX_FIELD_MANAGER_LENGTH = 128;

/**
 * The field manager of one key of a Secret. One per key: server-side apply removes the fields a
 * manager owned and left out, so two destinations writing different keys of one Secret under one
 * manager would delete each other's key. A name too long for Kubernetes keeps its start and ends
 * in a digest of the whole key, so two long keys that start alike still get managers of their own.
 */
export function keyFieldManager(key: string): string {
  const name = `${FIELD_MANAGER}/${key}`;
  if (name.length <= MAX_FIELD_MANAGER_LENGTH) return name;
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${name.slice(0, MAX_FIELD_MANAGER_LENGTH - digest.length - 1)}~${digest}`;
}

export interface KubernetesSecretStoreDeps extends KubeClientDeps {
  /** Clock for the restart annotation and the rollout wait. @default () => new Date() */
  now?: () => Date;
  /** Tries at writing while someone else keeps changing other parts of the Secret. @default 5 */
  maxWriteAttempts?: number;
  /** How long one `settle()` call waits for rollouts before asking to be retried. @default 40000 */
  rolloutWaitMs?: number;
  /** Pause between rollout status checks. @default 2000 */
  rolloutPollMs?: number;
  /** Sends one request (tests wrap it to change the Secret between our read and write). @default kubeRequest */
  send?: typeof kubeRequest;
}

const secretBody = z
  .object({
    metadata: z.object({ resourceVersion: z.string() }).loose(),
    data: z.record(z.string(), z.string()).nullish(),
    immutable: z.boolean().optional(),
  })
  .loose();

interface CurrentSecret {
  resourceVersion: string;
  /** Our key's value, decoded; undefined when the key is absent. */
  value: string | undefined;
}

export class KubernetesSecretStore implements SecretStore {
  readonly description: string;
  private connection: KubeConnection | undefined;
  private readonly now: () => Date;
  private readonly secretPath: string;

  constructor(
    private readonly config: KubernetesSecretDestinationConfig,
    private readonly deps: KubernetesSecretStoreDeps = {},
  ) {
    this.description = kubernetesSecretDestinationLabel(config);
    this.now = deps.now ?? (() => new Date());
    this.secretPath = `/api/v1/namespaces/${encodeURIComponent(config.namespace)}/secrets/${encodeURIComponent(config.name)}`;
  }

  async read(): Promise<StoredSecret | null> {
    const current = await this.readCurrent();
    // An empty key counts as no key at all.
    return current?.value ? { value: current.value, version: current.resourceVersion } : null;
  }

  async write(value: string, options: WriteOptions): Promise<WriteResult> {
    const result = await this.setKey(value);
    await this.restartWorkloads(options.idempotencyToken);
    return result;
  }

  /** Rollback writes the previous value back and rolls the workloads again, so pods return to it. */
  async restore(previousValue: string, options: WriteOptions): Promise<WriteResult> {
    return this.write(previousValue, options);
  }

  /**
   * Waits until the rollouts of the last write are complete (`waitForRollout`), up to
   * `rolloutWaitMs` per call; then fails retryably, so the verify step's retries keep waiting and
   * a rollout that never completes fails the verification (and the rotation rolls back).
   */
  async settle(): Promise<void> {
    if (!this.config.waitForRollout || this.config.restart.length === 0) return;
    const deadline = this.now().getTime() + (this.deps.rolloutWaitMs ?? 40_000);
    for (;;) {
      const waiting: string[] = [];
      for (const target of this.config.restart) {
        const workload = parseWorkload(
          await this.workloadResponse(target, 'GET', 'get'),
          this.description,
          target,
        );
        const state = rolloutState(target, workload);
        if ('failed' in state) {
          throw new DestinationError(
            this.description,
            `the rollout of ${target.kind} ${target.name} cannot complete: ${state.failed}`,
          );
        }
        if (!state.done) waiting.push(`${target.kind} ${target.name}: ${state.waitingFor}`);
      }
      if (waiting.length === 0) return;
      if (this.now().getTime() >= deadline) {
        throw new DestinationError(
          this.description,
          `rollout not complete yet (${waiting.join('; ')}); will check again`,
          { retryable: true },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.deps.rolloutPollMs ?? 2_000));
    }
  }

  private async setKey(value: string): Promise<WriteResult> {
    if (value === '') throw new DestinationError(this.description, 'refusing to write an empty value');
    const attempts = this.deps.maxWriteAttempts ?? 5;
    let first: CurrentSecret | null | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const current = await this.readCurrent();
      if (current?.value === value) return { version: current.resourceVersion };
      if (first === undefined) first = current;
      else if (current?.value !== first?.value) {
        throw new DestinationConflictError(
          this.description,
          `key "${this.config.key}" was changed by someone else while we were writing it; ` +
            'another process is writing this Secret. Check it, then rotate again.',
        );
      }
      const response = current === null ? await this.create(value) : await this.apply(value, current);
      if (response.status === 200 || response.status === 201)
        return { version: this.resourceVersionOf(response) };
      if (response.status !== 409)
        throw this.failure(response, current === null ? 'create the Secret' : 'update the Secret');
      // 409: created or changed by someone else since our read; look again before deciding.
    }
    throw new DestinationConflictError(
      this.description,
      `the Secret kept changing while we were writing it (${attempts} tries); something else updates it ` +
        'constantly. Check what writes it, then rotate again.',
    );
  }

  private async create(value: string): Promise<KubeResponse> {
    return this.send(
      {
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(this.config.namespace)}/secrets?fieldManager=${encodeURIComponent(keyFieldManager(this.config.key))}`,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: this.config.name, namespace: this.config.namespace },
          type: 'Opaque',
          data: { [this.config.key]: Buffer.from(value, 'utf8').toString('base64') },
        },
      },
      'create',
      'secrets',
    );
  }

  /**
   * Server-side apply of our key alone, forced (a Secret made by kubectl or Helm lists its keys
   * under their manager) but guarded by the resourceVersion we read.
   */
  private async apply(value: string, current: CurrentSecret): Promise<KubeResponse> {
    return this.send(
      {
        method: 'PATCH',
        path: `${this.secretPath}?fieldManager=${encodeURIComponent(keyFieldManager(this.config.key))}&force=true`,
        contentType: 'application/apply-patch+yaml',
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: this.config.name,
            namespace: this.config.namespace,
            resourceVersion: current.resourceVersion,
          },
          data: { [this.config.key]: Buffer.from(value, 'utf8').toString('base64') },
        },
      },
      'patch',
      'secrets',
    );
  }

  private async readCurrent(): Promise<CurrentSecret | null> {
    const response = await this.send({ method: 'GET', path: this.secretPath }, 'get', 'secrets');
    if (response.status === 404) return null;
    if (response.status !== 200) throw this.failure(response, 'read the Secret');
    const parsed = secretBody.safeParse(response.body);
    if (!parsed.success) throw new DestinationError(this.description, 'unexpected answer reading the Secret');
    const encoded = parsed.data.data?.[this.config.key];
    return {
      resourceVersion: parsed.data.metadata.resourceVersion,
      value: encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8'),
    };
  }

  /** Rolls each workload once per write: one that already carries this write's token is left alone. */
  private async restartWorkloads(writeToken: string): Promise<void> {
    for (const target of this.config.restart) {
      const workload = parseWorkload(
        await this.workloadResponse(target, 'GET', 'get'),
        this.description,
        target,
      );
      if (restartedFor(workload) === writeToken) continue;
      await this.workloadResponse(target, 'PATCH', 'patch', restartPatch(writeToken, this.now()));
    }
  }

  private async workloadResponse(
    target: KubernetesRestartTarget,
    method: 'GET' | 'PATCH',
    verb: string,
    patch?: unknown,
  ): Promise<unknown> {
    const response = await this.send(
      {
        method,
        path: `${workloadPath(this.config.namespace, target)}${method === 'PATCH' ? `?fieldManager=${FIELD_MANAGER}` : ''}`,
        body: patch,
        contentType: 'application/merge-patch+json',
      },
      verb,
      workloadResource(target),
    );
    if (response.status === 404) {
      throw new DestinationError(
        this.description,
        `${target.kind} ${target.name} does not exist in namespace ${this.config.namespace}; fix the destination's restart list`,
      );
    }
    if (response.status !== 200) throw this.failure(response, `${verb} ${target.kind} ${target.name}`);
    return response.body;
  }

  /** A request with our credentials; 401/403 become DestinationAuthError naming what is missing. */
  private async send(req: KubeRequest, verb: string, resource: string): Promise<KubeResponse> {
    this.connection ??= resolveConnection(this.config, this.description, this.deps);
    const response = await (this.deps.send ?? kubeRequest)(
      this.connection,
      req,
      this.description,
      this.deps.requestTimeoutMs ?? 30_000,
    );
    if (response.status === 401) {
      throw new DestinationAuthError(
        this.description,
        'the Kubernetes API server rejected our credentials (HTTP 401); check the token or client certificate ' +
          `${this.config.auth.method === 'kubeconfig' ? 'of the kubeconfig context' : "of the pod's service account"} (expired or revoked?)`,
      );
    }
    if (response.status === 403) {
      const { message } = statusOf(response);
      throw new DestinationAuthError(
        this.description,
        `the Kubernetes API server refused to ${verb} ${resource} in namespace ${this.config.namespace} ` +
          `(HTTP 403${message ? `: ${message}` : ''}); grant the worker's identity a Role there with ` +
          `"${verb}" on ${resource} (docs/operations.md lists the whole Role)`,
      );
    }
    return response;
  }

  private resourceVersionOf(response: KubeResponse): string {
    const parsed = secretBody.safeParse(response.body);
    if (!parsed.success) throw new DestinationError(this.description, 'unexpected answer writing the Secret');
    return parsed.data.metadata.resourceVersion;
  }

  private failure(response: KubeResponse, action: string): DestinationError {
    return unexpectedKubeStatus(response, action, this.description);
  }
}
