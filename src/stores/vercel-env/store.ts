/**
 * Vercel environment variable destination over Vercel's REST API:
 * - write: `POST /v10/projects/{project}/env?upsert=true` `{key, value, type, target, comment}`;
 *   the comment names the logical write (its idempotency token), so a retry skips the write;
 * - read (`encrypted` only): `GET /v10/projects/{project}/env` to find the variable, then
 *   `GET /v1/projects/{project}/env/{id}`, which answers with the decrypted value;
 * - `sensitive` variables are write-only: `readWriteOnlyState()` gives their `updatedAt`;
 * - `redeploy`: after a write, `POST /v13/deployments {name, deploymentId, target: "production"}`
 *   for the latest production deployment, unless one was created after the variable changed (so
 *   a retried write does not deploy twice); `settle()` waits until the newest production
 *   deployment is READY.
 * Every request carries `teamId` when the config names one. Vercel keeps no value history: the
 * previous value a rollback writes back comes from the workflow (see SecretStore.restore).
 */
import { z } from 'zod';
import { resolveSecretRef } from '../../fields/secret-ref.js';
import { DestinationAuthError, DestinationError } from '../../errors/rotator-errors.js';
import { requestJson, type JsonResponse } from '../http-json.js';
import { RestSecretStore, type RestService, type RestStoreDeps } from '../rest-store.js';
import type { SetPurpose } from '../set-value-store.js';
import type { StoredSecret, WriteOnlyState, WriteOptions, WriteResult } from '../secret-store.js';
import { vercelEnvDestinationLabel } from './label.js';
import { vercelEnvIsWriteOnly, type VercelEnvDestinationConfig } from './schema.js';

export interface VercelStoreDeps extends RestStoreDeps {
  /** How long one `settle()` call waits for the redeployment before asking to be retried. @default 40000 */
  deployWaitMs?: number;
  /** Pause between deployment status checks. @default 3000 */
  deployPollMs?: number;
}

const envListBody = z
  .object({
    envs: z.array(
      z
        .object({
          id: z.string(),
          key: z.string(),
          target: z.union([z.array(z.string()), z.string()]).optional(),
          updatedAt: z.number().optional(),
          createdAt: z.number().optional(),
          comment: z.string().optional(),
        })
        .loose(),
    ),
  })
  .loose();
type EnvVariable = z.infer<typeof envListBody>['envs'][number];
const upsertBody = z
  .object({
    failed: z
      .array(
        z
          .object({
            error: z
              .object({ code: z.string().optional(), message: z.string().optional() })
              .loose()
              .optional(),
          })
          .loose(),
      )
      .optional(),
  })
  .loose();
const decryptedBody = z.object({ value: z.string().optional(), decrypted: z.boolean().optional() }).loose();
const deploymentsBody = z
  .object({
    deployments: z.array(
      z.object({ uid: z.string(), created: z.number(), name: z.string().optional() }).loose(),
    ),
  })
  .loose();
const deploymentBody = z.object({ id: z.string(), readyState: z.string().optional() }).loose();
const errorBody = z
  .object({ error: z.object({ message: z.string().optional() }).loose().optional() })
  .loose();

const VERCEL: RestService<VercelEnvDestinationConfig> = {
  name: 'Vercel',
  addressField: 'apiUrl',
  label: vercelEnvDestinationLabel,
  messageOf,
  malformedHint: () => '; is apiUrl right?',
};

export class VercelEnvStore extends RestSecretStore<VercelEnvDestinationConfig, VercelStoreDeps> {
  /** Set for `sensitive` variables only, which cannot be read back (see SecretStore). */
  readonly readWriteOnlyState?: () => Promise<WriteOnlyState | null>;

  constructor(config: VercelEnvDestinationConfig, deps: VercelStoreDeps = {}) {
    super(config, deps, VERCEL);
    if (vercelEnvIsWriteOnly(config)) this.readWriteOnlyState = () => this.writeOnlyState();
  }

  async read(): Promise<StoredSecret | null> {
    if (vercelEnvIsWriteOnly(this.config)) return null;
    const variable = await this.findVariable();
    if (!variable) return null;
    const response = await this.send(
      'GET',
      this.url(`/v1/projects/{p}/env/${encodeURIComponent(variable.id)}`),
      'read the variable',
    );
    if (response.status === 404) return null;
    if (response.status !== 200) throw this.failure(response, 'read the variable');
    const parsed = decryptedBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('variable');
    // Empty counts as no key at all.
    if (!parsed.data.value) return null;
    return {
      value: parsed.data.value,
      version: String(variable.updatedAt ?? variable.createdAt ?? variable.id),
    };
  }

  /** With `redeploy`: waits until the newest production deployment is READY (retryable while building). */
  async settle(): Promise<void> {
    if (!this.config.redeploy) return;
    const deadline = Date.now() + (this.deps.deployWaitMs ?? 40_000);
    for (;;) {
      const latest = await this.latestProductionDeployment();
      if (!latest) {
        throw new DestinationError(this.description, 'the project has no production deployment to wait for');
      }
      const state = await this.deploymentState(latest.uid);
      if (state === 'READY') return;
      if (state === 'ERROR' || state === 'CANCELED') {
        throw new DestinationError(
          this.description,
          `the redeployment ${latest.uid} ended ${state}; the new key is stored but not live — see the deployment's logs at Vercel`,
        );
      }
      if (Date.now() >= deadline) {
        throw new DestinationError(
          this.description,
          `the redeployment ${latest.uid} is ${state}; will check again`,
          {
            retryable: true,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.deps.deployPollMs ?? 3_000));
    }
  }

  private async writeOnlyState(): Promise<WriteOnlyState | null> {
    const variable = await this.findVariable();
    if (!variable) return null;
    const updatedAt = variable.updatedAt ?? variable.createdAt;
    if (updatedAt === undefined) throw this.malformed('variable list (no updatedAt)');
    return { updatedAt: new Date(updatedAt).toISOString(), version: String(updatedAt) };
  }

  protected async setValue(value: string, purpose: SetPurpose, options: WriteOptions): Promise<WriteResult> {
    // Idempotent: a retry after a lost reply neither writes nor redeploys again. The variable's
    // comment names the write (no secret in it), which also works for sensitive variables.
    const comment = writeComment(options);
    const before = await this.findVariable();
    if (before?.comment !== comment) await this.upsert(value, comment, purpose);
    const variable = await this.findVariable();
    if (!variable) {
      throw new DestinationError(
        this.description,
        'Vercel accepted the variable but does not list it; will retry',
        {
          retryable: true,
        },
      );
    }
    const updatedAt = variable.updatedAt ?? variable.createdAt ?? 0;
    if (this.config.redeploy) await this.redeploy(updatedAt);
    return { version: String(updatedAt) };
  }

  private async upsert(value: string, comment: string, purpose: string): Promise<void> {
    const response = await this.send('POST', this.url('/v10/projects/{p}/env', { upsert: 'true' }), purpose, {
      key: this.config.key,
      value,
      type: this.config.variableType,
      target: this.config.targets,
      comment,
    });
    if (response.status !== 200 && response.status !== 201) throw this.failure(response, purpose);
    // Vercel answers 201 even when it refused the variable: the reasons are in `failed`.
    const failed = upsertBody.safeParse(response.body).data?.failed ?? [];
    if (failed.length > 0) {
      const reasons = failed.map((f) => f.error?.message ?? f.error?.code ?? 'no reason given').join('; ');
      throw new DestinationError(this.description, `Vercel refused to ${purpose}: ${reasons}`);
    }
  }

  /** Redeploys the latest production deployment, unless one was created after `changedAt`. */
  private async redeploy(changedAt: number): Promise<void> {
    const latest = await this.latestProductionDeployment();
    if (!latest) {
      throw new DestinationError(
        this.description,
        'redeploy is set but the project has no production deployment; deploy once, or drop redeploy',
      );
    }
    if (latest.created >= changedAt) return;
    const response = await this.send('POST', this.url('/v13/deployments'), 'redeploy production', {
      name: latest.name ?? this.config.project,
      deploymentId: latest.uid,
      target: 'production',
    });
    if (response.status !== 200 && response.status !== 201)
      throw this.failure(response, 'redeploy production');
    if (!deploymentBody.safeParse(response.body).success) throw this.malformed('deployment');
  }

  private async latestProductionDeployment() {
    const response = await this.send(
      'GET',
      this.url('/v6/deployments', { projectId: this.config.project, target: 'production', limit: '1' }),
      'list production deployments',
    );
    if (response.status !== 200) throw this.failure(response, 'list production deployments');
    const parsed = deploymentsBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('deployment list');
    return [...parsed.data.deployments].sort((a, b) => b.created - a.created)[0];
  }

  private async deploymentState(id: string): Promise<string> {
    const response = await this.send(
      'GET',
      this.url(`/v13/deployments/${encodeURIComponent(id)}`),
      'read the deployment',
    );
    if (response.status !== 200) throw this.failure(response, 'read the deployment');
    const parsed = deploymentBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('deployment');
    return parsed.data.readyState ?? 'UNKNOWN';
  }

  /** The project's variable with our key whose targets overlap ours (an upsert updates that one). */
  private async findVariable(): Promise<EnvVariable | undefined> {
    const response = await this.send('GET', this.url('/v10/projects/{p}/env'), 'list the variables');
    if (response.status === 404) {
      throw new DestinationError(
        this.description,
        `Vercel answered 404 for project ${this.config.project}${this.config.teamId ? ` in team ${this.config.teamId}` : ''}; check project and teamId`,
      );
    }
    if (response.status !== 200) throw this.failure(response, 'list the variables');
    const parsed = envListBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('variable list');
    const ours = new Set<string>(this.config.targets);
    const matches = parsed.data.envs.filter(
      (v) => v.key === this.config.key && [v.target ?? []].flat().some((t) => ours.has(t)),
    );
    if (matches.length > 1) {
      throw new DestinationError(
        this.description,
        `the project has ${matches.length} variables named ${this.config.key} for the targets ${this.config.targets.join(', ')}; ` +
          'keep one variable with exactly these targets (or set targets to match one of them)',
      );
    }
    return matches[0];
  }

  /** `<apiUrl><path>` with `{p}` replaced by the project and `teamId` added when configured. */
  private url(path: string, query: Record<string, string> = {}): string {
    const params = new URLSearchParams(query);
    if (this.config.teamId) params.set('teamId', this.config.teamId);
    const search = params.size > 0 ? `?${params}` : '';
    return `${this.config.apiUrl.replace(/\/+$/, '')}${path.replace('{p}', encodeURIComponent(this.config.project))}${search}`;
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    action: string,
    body?: unknown,
  ): Promise<JsonResponse> {
    const token = resolveSecretRef(
      this.config.auth.token,
      `the Vercel token for ${this.description}`,
      this.deps,
    );
    const response = await requestJson(this.http, {
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      body,
    });
    if (response.status === 401 || response.status === 403) {
      throw new DestinationAuthError(
        this.description,
        `Vercel refused to ${action} (HTTP ${response.status}: ${messageOf(response) || 'no reason given'}); ` +
          `check that the token is valid and has access to project ${this.config.project}` +
          (this.config.teamId ? ` in team ${this.config.teamId}` : ' (set teamId for a team project)'),
      );
    }
    return response;
  }
}

/** The variable's comment for this write: names the logical write, so a retry can recognise it. */
function writeComment(options: WriteOptions): string {
  return `set by openrouter-key-rotator, write ${options.idempotencyToken}`;
}

function messageOf(response: JsonResponse): string {
  const parsed = errorBody.safeParse(response.body);
  return parsed.success ? (parsed.data.error?.message ?? '').slice(0, 300) : '';
}
