/**
 * HashiCorp Vault / OpenBao KV v2 destination over plain `fetch`.
 *
 * Every write is a check-and-set against the version we just read (0 = "must not exist yet") and
 * merges the other fields of the secret. On a CAS mismatch we re-read and decide instead of
 * blindly retrying: our value already there means an earlier attempt succeeded and only its reply
 * was lost; anything else is someone else's change, reported as a conflict.
 */
import { z } from 'zod';
import { resolveSecretRef } from '../../fields/secret-ref.js';
import {
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
} from '../../errors/rotator-errors.js';
import { registerSecret } from '../../errors/redact.js';
import { requestJson, type JsonResponse } from '../http-json.js';
import { RestSecretStore, type RestService, type RestStoreDeps } from '../rest-store.js';
import type { StoredSecret, WriteResult } from '../secret-store.js';
import { trimSlashes, vaultDestinationLabel } from './label.js';
import type { VaultDestinationConfig } from './schema.js';

export interface VaultStoreDeps extends RestStoreDeps {
  /** Clock for token expiry. @default Date.now */
  now?: () => number;
}

const errorsBody = z.object({ errors: z.array(z.string()).optional() }).loose();
const readBody = z
  .object({
    data: z
      .object({
        data: z.record(z.string(), z.unknown()).nullable(),
        metadata: z.object({ version: z.number().int() }).loose(),
      })
      .loose(),
  })
  .loose();
const writeBody = z.object({ data: z.object({ version: z.number().int() }).loose() }).loose();
const loginBody = z
  .object({
    auth: z
      .object({ client_token: z.string().min(1), lease_duration: z.number().nonnegative().default(0) })
      .loose(),
  })
  .loose();

/** What the secret holds now: the version to check-and-set against, and its fields. */
interface CurrentSecret {
  /** Latest version number, 0 when the secret has never been written. */
  version: number;
  /** Fields of the latest version (empty when absent, deleted or destroyed). */
  data: Record<string, unknown>;
}

interface CachedToken {
  token: string;
  /** Renew after this instant (ms since epoch); Infinity when the token does not expire. */
  renewAfter: number;
}

const VAULT: RestService<VaultDestinationConfig> = {
  name: 'Vault',
  addressField: 'address',
  label: vaultDestinationLabel,
  messageOf: (response) => errorsOf(response).join('; '),
  malformedHint: (config) => `; is mount "${config.mount}" a KV version 2 engine?`,
};

export class VaultSecretStore extends RestSecretStore<VaultDestinationConfig, VaultStoreDeps> {
  private readonly now: () => number;
  private token: CachedToken | undefined;

  constructor(config: VaultDestinationConfig, deps: VaultStoreDeps = {}) {
    super(config, deps, VAULT);
    this.now = deps.now ?? Date.now;
  }

  async read(): Promise<StoredSecret | null> {
    const current = await this.readCurrent();
    const value = this.fieldOf(current.data);
    // An empty field counts as no key at all.
    return value ? { value, version: String(current.version) } : null;
  }

  /** Writes the field as a new version of the secret, its other fields kept. */
  protected async setValue(value: string): Promise<WriteResult> {
    const current = await this.readCurrent();
    if (this.fieldOf(current.data) === value) return { version: String(current.version) };

    const response = await this.send('POST', 'write the secret', {
      data: { ...current.data, [this.config.field]: value },
      options: { cas: current.version },
    });
    if (response.status === 400 && errorsOf(response).some((e) => /check-and-set/i.test(e))) {
      // A retry whose earlier attempt was applied, or someone else's change: look before deciding.
      const now = await this.readCurrent();
      if (this.fieldOf(now.data) === value) return { version: String(now.version) };
      throw new DestinationConflictError(
        this.description,
        `the secret changed while we were writing it (expected version ${current.version}, now ${now.version}); ` +
          'someone else is writing this secret. Check it, then rotate again.',
      );
    }
    if (response.status !== 200) throw this.failure(response, 'write the secret');
    const parsed = writeBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('write');
    return { version: String(parsed.data.data.version) };
  }

  private async readCurrent(): Promise<CurrentSecret> {
    const response = await this.send('GET', 'read the secret');
    if (response.status === 404) {
      // 404 with metadata = the latest version is deleted or destroyed: CAS must still name it.
      const parsed = readBody.safeParse(response.body);
      if (parsed.success) return { version: parsed.data.data.metadata.version, data: {} };
      const errors = errorsOf(response);
      if (errors.length > 0) {
        throw new DestinationError(
          this.description,
          `Vault answered 404 (${errors.join('; ')}); check the address, namespace and that mount "${this.config.mount}" is a KV v2 engine`,
        );
      }
      return { version: 0, data: {} };
    }
    if (response.status !== 200) throw this.failure(response, 'read the secret');
    const parsed = readBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('read');
    return { version: parsed.data.data.metadata.version, data: parsed.data.data.data ?? {} };
  }

  private fieldOf(data: Record<string, unknown>): string | undefined {
    const value = data[this.config.field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      throw new DestinationError(
        this.description,
        `field "${this.config.field}" holds a ${typeof value}, expected a string; fix the secret by hand`,
      );
    }
    return value;
  }

  /** A KV request with our token; on 403 the token is renewed once (AppRole login or re-reading the token source). */
  private async send(method: 'GET' | 'POST', action: string, body?: unknown): Promise<JsonResponse> {
    const url = `${this.baseUrl()}/v1/${encodePath(this.config.mount)}/data/${encodePath(this.config.path)}`;
    let token = await this.currentToken(false);
    let response = await requestJson(this.http, { method, url, headers: this.headers(token), body });
    if (response.status === 403) {
      const renewed = await this.currentToken(true);
      if (renewed !== token) {
        token = renewed;
        response = await requestJson(this.http, { method, url, headers: this.headers(token), body });
      }
    }
    if (response.status === 401 || response.status === 403) {
      throw new DestinationAuthError(
        this.description,
        `Vault refused to ${action} (HTTP ${response.status}: ${errorsOf(response).join('; ') || 'permission denied'}); ` +
          `check that the ${this.config.auth.method} credentials are valid and that their policy grants ` +
          `create, read and update on ${trimSlashes(this.config.mount)}/data/${trimSlashes(this.config.path)}`,
      );
    }
    return response;
  }

  private async currentToken(renew: boolean): Promise<string> {
    if (!renew && this.token && this.now() < this.token.renewAfter) return this.token.token;
    this.token = this.config.auth.method === 'token' ? this.staticToken() : await this.appRoleLogin();
    return this.token.token;
  }

  private staticToken(): CachedToken {
    const auth = this.config.auth;
    if (auth.method !== 'token') throw new Error('unreachable');
    // Re-read on renew: a Vault agent may have rewritten the token file.
    const token = resolveSecretRef(auth.token, `the Vault token for ${this.description}`, this.deps);
    return { token, renewAfter: Infinity };
  }

  private async appRoleLogin(): Promise<CachedToken> {
    const auth = this.config.auth;
    if (auth.method !== 'approle') throw new Error('unreachable');
    const roleId = resolveSecretRef(
      auth.roleId,
      `the Vault AppRole role_id for ${this.description}`,
      this.deps,
    );
    const secretId = resolveSecretRef(
      auth.secretId,
      `the Vault AppRole secret_id for ${this.description}`,
      this.deps,
    );
    const started = this.now();
    const response = await requestJson(this.http, {
      method: 'POST',
      url: `${this.baseUrl()}/v1/auth/${encodePath(auth.mount)}/login`,
      headers: this.headers(undefined),
      body: { role_id: roleId, secret_id: secretId },
    });
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new DestinationAuthError(
        this.description,
        `Vault refused the AppRole login at auth/${auth.mount} (HTTP ${response.status}: ${errorsOf(response).join('; ')}); ` +
          'check the role_id and secret_id (a secret_id may have expired or run out of uses)',
      );
    }
    if (response.status !== 200) throw this.failure(response, 'log in with AppRole');
    const parsed = loginBody.safeParse(response.body);
    if (!parsed.success) throw this.malformed('AppRole login');
    const { client_token: token, lease_duration: lease } = parsed.data.auth;
    registerSecret(token);
    // Renew at 80 % of the lease so a request never races the expiry.
    return { token, renewAfter: lease > 0 ? started + lease * 800 : Infinity };
  }

  private headers(token: string | undefined): Record<string, string> {
    return {
      ...(token ? { 'X-Vault-Token': token } : {}),
      ...(this.config.namespace ? { 'X-Vault-Namespace': this.config.namespace } : {}),
    };
  }

  private baseUrl(): string {
    return this.config.address.replace(/\/+$/, '');
  }
}

/** The `errors` Vault lists in an error answer. */
function errorsOf(response: JsonResponse): string[] {
  const parsed = errorsBody.safeParse(response.body);
  return parsed.success ? (parsed.data.errors ?? []) : [];
}

function encodePath(s: string): string {
  return trimSlashes(s).split('/').map(encodeURIComponent).join('/');
}
