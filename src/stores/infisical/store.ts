/**
 * Infisical destination over the v4 REST API with a universal-auth machine identity.
 *
 * A write answered with `{approval: …}` means a change-approval policy covers the path: the value
 * has NOT changed, so it is reported as pending (never as success) and the rotation keeps the old
 * key. Infisical trims values, so values with surrounding whitespace are refused up front rather
 * than stored as something else.
 */
import { z } from 'zod';
import { resolveSecretRef } from '../../fields/secret-ref.js';
import {
  DestinationApprovalPendingError,
  DestinationAuthError,
  DestinationError,
} from '../../errors/rotator-errors.js';
import { registerSecret } from '../../errors/redact.js';
import { requestJson, type JsonResponse } from '../http-json.js';
import { RestSecretStore, type RestService, type RestStoreDeps } from '../rest-store.js';
import type { SetPurpose } from '../set-value-store.js';
import type { StoredSecret, WriteResult } from '../secret-store.js';
import { infisicalDestinationLabel } from './label.js';
import type { InfisicalDestinationConfig } from './schema.js';

export interface InfisicalStoreDeps extends RestStoreDeps {
  /** Clock for access-token expiry. @default Date.now */
  now?: () => number;
}

const tokenBody = z
  .object({
    accessToken: z.string().min(1),
    expiresIn: z.coerce.number().nonnegative(),
    accessTokenMaxTTL: z.coerce.number().nonnegative().default(0),
  })
  .loose();
const secretBody = z
  .object({
    secret: z
      .object({
        secretValue: z.string(),
        version: z.coerce.number().int(),
        secretValueHidden: z.boolean().optional(),
      })
      .loose(),
  })
  .loose();
const approvalBody = z
  .object({ approval: z.object({ id: z.string().optional(), slug: z.string().optional() }).loose() })
  .loose();
const errorBody = z.object({ message: z.unknown().optional(), error: z.string().optional() }).loose();

interface Session {
  token: string;
  /** When the token stops working (ms since epoch); Infinity when it does not expire. */
  expiresAt: number;
  /** Renewals cannot go past this (issue time + accessTokenMaxTTL); Infinity when unlimited. */
  maxExpiresAt: number;
  /** Lifetime granted per renewal, in ms. */
  ttlMs: number;
}

const INFISICAL: RestService<InfisicalDestinationConfig> = {
  name: 'Infisical',
  addressField: 'siteUrl',
  label: infisicalDestinationLabel,
  messageOf,
  malformedHint: (config) => ` at ${siteUrlOf(config)}; is siteUrl right?`,
};

export class InfisicalSecretStore extends RestSecretStore<InfisicalDestinationConfig, InfisicalStoreDeps> {
  private readonly now: () => number;
  private session: Session | undefined;

  constructor(config: InfisicalDestinationConfig, deps: InfisicalStoreDeps = {}) {
    super(config, deps, INFISICAL);
    this.now = deps.now ?? Date.now;
  }

  async read(): Promise<StoredSecret | null> {
    const query = new URLSearchParams({
      projectId: this.config.projectId,
      environment: this.config.environment,
      secretPath: this.config.secretPath,
      type: 'shared',
      viewSecretValue: 'true',
      expandSecretReferences: 'false',
      include_imports: 'false',
    });
    const response = await this.send('GET', `${this.secretUrl()}?${query}`, 'read the secret');
    if (response.status === 404) {
      const message = messageOf(response);
      if (/folder|environment|project/i.test(message)) {
        throw new DestinationError(
          this.description,
          `Infisical answered 404 (${message}); check projectId, environment and secretPath`,
        );
      }
      return null;
    }
    if (response.status !== 200) throw this.failure(response, 'read the secret');
    const parsed = secretBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('read');
    if (parsed.data.secret.secretValueHidden) {
      throw new DestinationAuthError(
        this.description,
        'Infisical hides the secret value from this machine identity; give it permission to read secret values',
      );
    }
    // An empty value counts as no key at all.
    const { secretValue, version } = parsed.data.secret;
    return secretValue ? { value: secretValue, version: String(version) } : null;
  }

  protected async setValue(value: string, purpose: SetPurpose): Promise<WriteResult> {
    if (value !== value.trim()) {
      throw new DestinationError(
        this.description,
        `refusing to ${purpose}: the value has surrounding whitespace, which Infisical would trim`,
      );
    }
    const current = await this.read();
    // Idempotent: an earlier attempt already stored it (its reply was lost).
    if (current?.value === value) return { version: current.version };

    const body = {
      projectId: this.config.projectId,
      environment: this.config.environment,
      secretPath: this.config.secretPath,
      secretValue: value,
      type: 'shared',
    };
    let response = await this.send(current ? 'PATCH' : 'POST', this.secretUrl(), purpose, body);
    // The secret appeared or vanished between our read and write: use the other verb once.
    if (current && response.status === 404) {
      response = await this.send('POST', this.secretUrl(), purpose, body);
    } else if (!current && response.status === 400 && /already exist/i.test(messageOf(response))) {
      response = await this.send('PATCH', this.secretUrl(), purpose, body);
    }
    if (response.status !== 200) throw this.failure(response, purpose);

    const approval = approvalBody.safeParse(response.body);
    if (approval.success) {
      const request = approval.data.approval.slug ?? approval.data.approval.id ?? 'unknown';
      throw new DestinationApprovalPendingError(
        this.description,
        `a change request (${request}) awaits approval in Infisical: the value has not changed and the old key is kept. ` +
          'Approve or reject the request, or exempt the rotator from the approval policy, then rotate again.',
      );
    }
    const parsed = secretBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('write');
    if (parsed.data.secret.secretValue !== value && !parsed.data.secret.secretValueHidden) {
      throw new DestinationError(this.description, 'Infisical stored a different value than the one sent', {
        retryable: true,
      });
    }
    return { version: String(parsed.data.secret.version) };
  }

  private secretUrl(): string {
    return `${this.baseUrl()}/api/v4/secrets/${encodeURIComponent(this.config.secretName)}`;
  }

  /** A request with our access token; on 401 (or an expired-token 403) logs in again once. */
  private async send(
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    action: string,
    body?: unknown,
  ): Promise<JsonResponse> {
    let response = await this.authorized(method, url, await this.accessToken(), body);
    if (isTokenRejected(response)) {
      this.session = undefined;
      response = await this.authorized(method, url, await this.accessToken(), body);
    }
    if (response.status === 401 || response.status === 403) {
      throw new DestinationAuthError(
        this.description,
        `Infisical refused to ${action} (HTTP ${response.status}: ${messageOf(response) || 'forbidden'}); ` +
          `check that the machine identity has access to project ${this.config.projectId}, environment ` +
          `"${this.config.environment}", path "${this.config.secretPath}" with read and edit rights on secrets`,
      );
    }
    return response;
  }

  private authorized(method: 'GET' | 'POST' | 'PATCH', url: string, token: string, body?: unknown) {
    return requestJson(this.http, { method, url, headers: { authorization: `Bearer ${token}` }, body });
  }

  /** A valid access token: cached, renewed shortly before expiry, or a fresh login. */
  private async accessToken(): Promise<string> {
    const session = this.session;
    const now = this.now();
    if (session && now < session.expiresAt - renewMargin(session.ttlMs)) return session.token;
    if (session && now < session.expiresAt && session.expiresAt < session.maxExpiresAt) {
      const renewed = await this.renew(session);
      if (renewed) return renewed.token;
    }
    return (await this.login()).token;
  }

  private async renew(session: Session): Promise<Session | undefined> {
    const started = this.now();
    const response = await requestJson(this.http, {
      method: 'POST',
      url: `${this.baseUrl()}/api/v1/auth/token/renew`,
      body: { accessToken: session.token },
    });
    // Past the max TTL or revoked: a fresh login is the remedy, not an error.
    if (response.status !== 200) return undefined;
    const parsed = tokenBody.safeParse(response.body);
    if (!parsed.success) return undefined;
    registerSecret(parsed.data.accessToken);
    this.session = {
      token: parsed.data.accessToken,
      expiresAt: expiry(started, parsed.data.expiresIn),
      maxExpiresAt: session.maxExpiresAt,
      ttlMs: parsed.data.expiresIn * 1000,
    };
    return this.session;
  }

  private async login(): Promise<Session> {
    const { clientId: clientIdRef, clientSecret: clientSecretRef } = this.config.auth;
    const clientId = resolveSecretRef(
      clientIdRef,
      `the Infisical clientId for ${this.description}`,
      this.deps,
    );
    const clientSecret = resolveSecretRef(
      clientSecretRef,
      `the Infisical clientSecret for ${this.description}`,
      this.deps,
    );
    const started = this.now();
    const response = await requestJson(this.http, {
      method: 'POST',
      url: `${this.baseUrl()}/api/v1/auth/universal-auth/login`,
      body: { clientId, clientSecret },
    });
    if ([400, 401, 403, 404].includes(response.status)) {
      throw new DestinationAuthError(
        this.description,
        `Infisical refused the universal-auth login (HTTP ${response.status}: ${messageOf(response) || 'no reason given'}); ` +
          'check the machine identity clientId and clientSecret, and that universal auth is enabled for it',
      );
    }
    if (response.status !== 200) throw this.failure(response, 'log in with universal auth');
    const parsed = tokenBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('login');
    registerSecret(parsed.data.accessToken);
    const { accessToken, expiresIn, accessTokenMaxTTL } = parsed.data;
    this.session = {
      token: accessToken,
      expiresAt: expiry(started, expiresIn),
      maxExpiresAt: expiry(started, accessTokenMaxTTL),
      ttlMs: expiresIn * 1000,
    };
    return this.session;
  }

  private baseUrl(): string {
    return siteUrlOf(this.config);
  }
}

function siteUrlOf(config: InfisicalDestinationConfig): string {
  return config.siteUrl.replace(/\/+$/, '');
}

/** 0 seconds means "no expiry" in Infisical's token settings. */
function expiry(issuedAt: number, seconds: number): number {
  return seconds > 0 ? issuedAt + seconds * 1000 : Infinity;
}

/** Renew a little before expiry: a tenth of the lifetime, at most a minute. */
function renewMargin(ttlMs: number): number {
  return Number.isFinite(ttlMs) ? Math.min(60_000, ttlMs / 10) : 0;
}

/** 401, or the 403 Infisical sends for an expired or malformed token. */
function isTokenRejected(response: JsonResponse): boolean {
  if (response.status === 401) return true;
  const parsed = errorBody.safeParse(response.body);
  return response.status === 403 && parsed.success && parsed.data.error === 'TokenError';
}

function messageOf(response: JsonResponse): string {
  const parsed = errorBody.safeParse(response.body);
  if (!parsed.success) return '';
  const { message } = parsed.data;
  if (typeof message === 'string') return message;
  return message === undefined ? '' : JSON.stringify(message).slice(0, 300);
}
