/**
 * GitHub Actions secret destination over GitHub's REST API: fetch the public key of the
 * repository, environment or organisation, seal the value with libsodium's sealed box for it, PUT
 * `{encrypted_value, key_id}` (201 created, 204 updated).
 *
 * Write-only: GitHub never hands a secret's value back, so `read()` returns null and
 * `readWriteOnlyState()` gives the secret's `updated_at` (README.md, "Write-only destinations").
 * GitHub keeps no history either: the previous value a rollback writes back comes from the
 * rotation's readable destinations.
 *
 * Auth: a token, or a GitHub App (a JWT signed RS256 with the app's private key, exchanged for an
 * installation token that is cached until shortly before it expires).
 */
import { sign } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { z } from 'zod';
import { resolveSecretRef } from '../../fields/secret-ref.js';
import { DestinationAuthError, DestinationError } from '../../errors/rotator-errors.js';
import { registerSecret } from '../../errors/redact.js';
import { requestJson, retryAfterMs, type JsonResponse } from '../http-json.js';
import { RestSecretStore, type RestService, type RestStoreDeps } from '../rest-store.js';
import type { SetPurpose } from '../set-value-store.js';
import type { StoredSecret, WriteOnlyState, WriteResult } from '../secret-store.js';
import { githubActionsSecretDestinationLabel } from './label.js';
import type { GithubActionsSecretDestinationConfig } from './schema.js';

export interface GithubStoreDeps extends RestStoreDeps {
  /** Clock for the App JWT and the installation token's expiry. @default Date.now */
  now?: () => number;
}

/** GitHub's REST API version this store is written against. */
const API_VERSION = '2022-11-28';
/** Renew an installation token this long before GitHub's `expires_at`. */
const TOKEN_RENEW_MARGIN_MS = 5 * 60_000;

const publicKeyBody = z.object({ key_id: z.string().min(1), key: z.string().min(1) }).loose();
const secretBody = z.object({ updated_at: z.string().min(1) }).loose();
const installationTokenBody = z.object({ token: z.string().min(1), expires_at: z.string() }).loose();
const errorBody = z.object({ message: z.string().optional() }).loose();

interface InstallationToken {
  token: string;
  /** ms since epoch */
  expiresAt: number;
}

const GITHUB: RestService<GithubActionsSecretDestinationConfig> = {
  name: 'GitHub',
  addressField: 'apiUrl',
  label: githubActionsSecretDestinationLabel,
  messageOf,
  malformedHint: (config) => ` at ${apiUrlOf(config)}; is apiUrl right?`,
};

export class GithubActionsSecretStore extends RestSecretStore<
  GithubActionsSecretDestinationConfig,
  GithubStoreDeps
> {
  private readonly now: () => number;
  private installationToken: InstallationToken | undefined;

  constructor(config: GithubActionsSecretDestinationConfig, deps: GithubStoreDeps = {}) {
    super(config, deps, GITHUB);
    this.now = deps.now ?? Date.now;
  }

  /** Always null: GitHub never hands a secret's value back. */
  async read(): Promise<StoredSecret | null> {
    return null;
  }

  async readWriteOnlyState(): Promise<WriteOnlyState | null> {
    const response = await this.send(
      'GET',
      this.secretsUrl(this.config.secretName),
      'read the secret metadata',
    );
    if (response.status === 404) return null;
    if (response.status !== 200) throw this.failure(response, 'read the secret metadata');
    const parsed = secretBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('secret metadata');
    return { updatedAt: parsed.data.updated_at, version: parsed.data.updated_at };
  }

  /** Seals and PUTs; writing the same value again is harmless (GitHub keeps no versions). */
  protected async setValue(value: string, purpose: SetPurpose): Promise<WriteResult> {
    let response = await this.putSealed(value, purpose, await this.publicKey(purpose));
    // GitHub rotated the public key between our GET and PUT: seal again with the new one, once.
    if (response.status === 422 && /key/i.test(messageOf(response))) {
      response = await this.putSealed(value, purpose, await this.publicKey(purpose));
    }
    if (response.status !== 201 && response.status !== 204) throw this.failure(response, purpose);
    const state = await this.readWriteOnlyState();
    if (!state) {
      throw new DestinationError(
        this.description,
        `GitHub accepted the secret but does not list it; will retry`,
        {
          retryable: true,
        },
      );
    }
    return { version: state.version };
  }

  private async putSealed(
    value: string,
    purpose: string,
    publicKey: z.infer<typeof publicKeyBody>,
  ): Promise<JsonResponse> {
    await sodium.ready;
    let recipient: Uint8Array;
    try {
      recipient = sodium.from_base64(publicKey.key, sodium.base64_variants.ORIGINAL);
    } catch {
      throw this.malformed('public key');
    }
    if (recipient.length !== sodium.crypto_box_PUBLICKEYBYTES) throw this.malformed('public key');
    const sealed = sodium.crypto_box_seal(sodium.from_string(value), recipient);
    const body: Record<string, unknown> = {
      encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL),
      key_id: publicKey.key_id,
    };
    if (this.config.organization) {
      body.visibility = this.config.visibility ?? 'private';
      if (this.config.selectedRepositoryIds) body.selected_repository_ids = this.config.selectedRepositoryIds;
    }
    return this.send('PUT', this.secretsUrl(this.config.secretName), purpose, body);
  }

  private async publicKey(purpose: string): Promise<z.infer<typeof publicKeyBody>> {
    const response = await this.send('GET', this.secretsUrl('public-key'), `${purpose} (public key)`);
    if (response.status === 404) {
      throw new DestinationError(
        this.description,
        `GitHub answered 404 to the public key request: the ${this.scope()} does not exist or the credential ` +
          'cannot see it; check the names and that the token or App has Secrets read and write access to it',
      );
    }
    if (response.status !== 200) throw this.failure(response, `${purpose} (public key)`);
    const parsed = publicKeyBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('public key');
    return parsed.data;
  }

  /** `<apiUrl>/…/secrets/<tail>` for the configured scope. */
  private secretsUrl(tail: string): string {
    const { organization, repository, environment } = this.config;
    const segments = organization
      ? ['orgs', organization, 'actions', 'secrets']
      : environment
        ? ['repos', ...(repository ?? '').split('/'), 'environments', environment, 'secrets']
        : ['repos', ...(repository ?? '').split('/'), 'actions', 'secrets'];
    return `${this.baseUrl()}/${[...segments, tail].map(encodeURIComponent).join('/')}`;
  }

  private scope(): string {
    const { organization, repository, environment } = this.config;
    if (organization) return `organisation ${organization}`;
    return environment ? `environment ${environment} of ${repository}` : `repository ${repository}`;
  }

  /** A request with our credential; a 401 with an App token fetches a new installation token once. */
  private async send(
    method: 'GET' | 'PUT',
    url: string,
    action: string,
    body?: unknown,
  ): Promise<JsonResponse> {
    let response = await this.authorized(method, url, await this.token(), body);
    if (response.status === 401 && this.installationToken) {
      this.installationToken = undefined;
      response = await this.authorized(method, url, await this.token(), body);
    }
    if (isRateLimited(response)) {
      throw new DestinationError(this.description, `GitHub's rate limit refused to ${action}; will retry`, {
        retryable: true,
        retryAfterMs: rateLimitWaitMs(response.headers, this.now()),
      });
    }
    if (response.status === 401 || response.status === 403) {
      throw new DestinationAuthError(
        this.description,
        `GitHub refused to ${action} (HTTP ${response.status}: ${messageOf(response) || 'no reason given'}); ` +
          `check that the ${'token' in this.config.auth ? 'token' : 'GitHub App installation'} is valid and has ` +
          `Secrets read and write access to the ${this.scope()}`,
      );
    }
    return response;
  }

  private authorized(method: 'GET' | 'PUT' | 'POST', url: string, credential: string, body?: unknown) {
    return requestJson(this.http, {
      method,
      url,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${credential}`,
        'user-agent': 'openrouter-key-rotator',
        'x-github-api-version': API_VERSION,
      },
      body,
    });
  }

  private async token(): Promise<string> {
    const { auth } = this.config;
    if ('token' in auth) {
      return resolveSecretRef(auth.token, `the GitHub token for ${this.description}`, this.deps);
    }
    const cached = this.installationToken;
    if (cached && this.now() < cached.expiresAt - TOKEN_RENEW_MARGIN_MS) return cached.token;
    this.installationToken = await this.fetchInstallationToken(auth.app);
    return this.installationToken.token;
  }

  /** Exchanges an App JWT for an installation token (POST /app/installations/{id}/access_tokens). */
  private async fetchInstallationToken(app: {
    appId: string;
    installationId: string;
    privateKey: GithubAppPrivateKeyRef;
  }): Promise<InstallationToken> {
    const privateKey = resolveSecretRef(
      app.privateKey,
      `the GitHub App private key for ${this.description}`,
      this.deps,
    );
    let jwt: string;
    try {
      jwt = appJwt(app.appId, privateKey, this.now());
      registerSecret(jwt);
    } catch (err) {
      throw new DestinationAuthError(
        this.description,
        'could not sign the GitHub App JWT: the private key is not an RSA private key in PEM form',
        { cause: err },
      );
    }
    const url = `${this.baseUrl()}/app/installations/${encodeURIComponent(app.installationId)}/access_tokens`;
    const response = await this.authorized('POST', url, jwt);
    if ([401, 403, 404].includes(response.status)) {
      throw new DestinationAuthError(
        this.description,
        `GitHub refused an installation token for App ${app.appId}, installation ${app.installationId} ` +
          `(HTTP ${response.status}: ${messageOf(response) || 'no reason given'}); check the app id, the installation id ` +
          'and that the private key belongs to the App',
      );
    }
    if (response.status !== 201) throw this.failure(response, 'get a GitHub App installation token');
    const parsed = installationTokenBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('installation token');
    registerSecret(parsed.data.token);
    const expiresAt = Date.parse(parsed.data.expires_at);
    return { token: parsed.data.token, expiresAt: Number.isNaN(expiresAt) ? this.now() : expiresAt };
  }

  private baseUrl(): string {
    return apiUrlOf(this.config);
  }
}

function apiUrlOf(config: GithubActionsSecretDestinationConfig): string {
  return config.apiUrl.replace(/\/+$/, '');
}

type GithubAppPrivateKeyRef = Extract<
  GithubActionsSecretDestinationConfig['auth'],
  { app: unknown }
>['app']['privateKey'];

/**
 * A GitHub App JWT: RS256, issued a minute in the past (GitHub's advice against clock drift),
 * valid 9 minutes (GitHub allows at most 10).
 */
export function appJwt(appId: string, privateKeyPem: string, nowMs: number): string {
  const issuedAt = Math.floor(nowMs / 1000) - 60;
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const signingInput = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: issuedAt, exp: issuedAt + 600 - 60, iss: appId })}`;
  const signature = sign('sha256', Buffer.from(signingInput), privateKeyPem).toString('base64url');
  return `${signingInput}.${signature}`;
}

/** 429, or the 403 GitHub sends for an exhausted primary or a secondary rate limit. */
function isRateLimited(response: JsonResponse): boolean {
  if (response.status === 429) return true;
  if (response.status !== 403) return false;
  return (
    response.headers.get('x-ratelimit-remaining') === '0' ||
    response.headers.has('retry-after') ||
    /rate limit/i.test(messageOf(response))
  );
}

/** Retry-After, else the wait until x-ratelimit-reset (epoch seconds), else undefined. */
function rateLimitWaitMs(headers: Headers, nowMs: number): number | undefined {
  const fromRetryAfter = retryAfterMs(headers);
  if (fromRetryAfter !== undefined) return fromRetryAfter;
  const reset = Number(headers.get('x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - nowMs) : undefined;
}

function messageOf(response: JsonResponse): string {
  const parsed = errorBody.safeParse(response.body);
  return parsed.success ? (parsed.data.message ?? '').slice(0, 300) : '';
}
