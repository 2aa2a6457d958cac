/**
 * An in-repo fake of the Infisical endpoints the rotator uses, written from Infisical's API
 * reference (no Infisical server can run here): universal-auth login and token renew, v4 secrets
 * GET/POST/PATCH by name, error bodies `{reqId, statusCode, message, error}`, value trimming,
 * per-secret versions, and the approval-policy reply `{approval: …}` that leaves the value as it was.
 *
 * node:http on 127.0.0.1, port 0. Time comes from `now()` so tests can expire tokens.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface InfisicalFakeOptions {
  /** The one machine identity that may log in. */
  clientId: string;
  clientSecret: string;
  /** Projects and their environments, e.g. `{ 'proj-1': ['dev', 'prod'] }`. */
  projects: Record<string, string[]>;
  /** Folders that exist in every environment (besides "/"). @default [] */
  folders?: string[];
  /** Access token lifetime in seconds. @default 7200 */
  accessTokenTTL?: number;
  /** Renewals stop this many seconds after login (0 = unlimited). @default 86400 */
  accessTokenMaxTTL?: number;
  /** Clock. @default Date.now */
  now?: () => number;
}

export interface FakeSecret {
  value: string;
  version: number;
}

export interface FakeRequest {
  method: string;
  path: string;
}

export interface InfisicalFake {
  /** e.g. http://127.0.0.1:40123 — the `siteUrl` of a destination. */
  siteUrl: string;
  /** Every request received, in order (method and path without query). */
  requests: FakeRequest[];
  /** While true, writes open a change request and answer `{approval: …}` instead of changing the value. */
  requireApproval: boolean;
  /** Change requests opened while `requireApproval` was on. */
  approvals: { id: string; slug: string; secretName: string; value: string }[];
  /** While true, the identity may read but not write secrets (403 PermissionDenied). */
  readOnly: boolean;
  setSecret(projectId: string, environment: string, secretPath: string, name: string, value: string): void;
  getSecret(projectId: string, environment: string, secretPath: string, name: string): FakeSecret | undefined;
  /** Revokes every issued access token (they then answer 401). */
  revokeAllTokens(): void;
  /** Makes the next `count` requests to the secrets API answer this status. */
  failNext(status: number, count?: number): void;
  stop(): Promise<void>;
}

interface IssuedToken {
  expiresAt: number;
  maxExpiresAt: number;
  revoked: boolean;
}

/** The real server's trimming: surrounding whitespace goes, a final newline survives. */
function trimLikeInfisical(value: string): string {
  return value.at(-1) === '\n' ? `${value.trim()}\n` : value.trim();
}

function normalizePath(secretPath: string | undefined): string {
  const trimmed = (secretPath ?? '/').trim() || '/';
  return trimmed.length > 1 ? trimmed.replace(/\/+$/, '') : trimmed;
}

export async function startInfisicalFake(options: InfisicalFakeOptions): Promise<InfisicalFake> {
  const now = options.now ?? Date.now;
  const ttl = options.accessTokenTTL ?? 7200;
  const maxTtl = options.accessTokenMaxTTL ?? 86_400;
  const folders = new Set(['/', ...(options.folders ?? []).map(normalizePath)]);
  const secrets = new Map<string, FakeSecret & { id: string; createdAt: string; updatedAt: string }>();
  const tokens = new Map<string, IssuedToken>();
  let failures: { status: number; count: number } | undefined;

  const key = (projectId: string, environment: string, secretPath: string, name: string) =>
    JSON.stringify([projectId, environment, normalizePath(secretPath), name]);

  const fake: InfisicalFake = {
    siteUrl: '',
    requests: [],
    requireApproval: false,
    approvals: [],
    readOnly: false,
    setSecret(projectId, environment, secretPath, name, value) {
      const k = key(projectId, environment, secretPath, name);
      const existing = secrets.get(k);
      const stamp = new Date(now()).toISOString();
      secrets.set(k, {
        id: existing?.id ?? randomUUID(),
        value,
        version: (existing?.version ?? 0) + 1,
        createdAt: existing?.createdAt ?? stamp,
        updatedAt: stamp,
      });
    },
    getSecret(projectId, environment, secretPath, name) {
      const s = secrets.get(key(projectId, environment, secretPath, name));
      return s && { value: s.value, version: s.version };
    },
    revokeAllTokens() {
      for (const t of tokens.values()) t.revoked = true;
    },
    failNext(status, count = 1) {
      failures = { status, count };
    },
    stop: async () => undefined,
  };

  function send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
  function error(res: ServerResponse, status: number, name: string, message: string): void {
    send(res, status, {
      reqId: `req-${randomBytes(6).toString('hex')}`,
      statusCode: status,
      message,
      error: name,
    });
  }

  function issueToken(res: ServerResponse): void {
    const token = `fake-at-${randomBytes(24).toString('hex')}`;
    const issued = now();
    tokens.set(token, {
      expiresAt: ttl > 0 ? issued + ttl * 1000 : Infinity,
      maxExpiresAt: maxTtl > 0 ? issued + maxTtl * 1000 : Infinity,
      revoked: false,
    });
    send(res, 200, { accessToken: token, expiresIn: ttl, accessTokenMaxTTL: maxTtl, tokenType: 'Bearer' });
  }

  /** Mirrors Infisical's verifyAuth: 401 without a usable token, 403 TokenError when expired. */
  function authenticate(req: IncomingMessage, res: ServerResponse): boolean {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const issued = tokens.get(token);
    if (!issued) {
      error(res, 401, 'UnauthorizedError', token ? 'Invalid token' : 'Missing Authorization header');
      return false;
    }
    if (issued.revoked) {
      error(
        res,
        401,
        'UnauthorizedError',
        'Failed to authorize revoked access token, access token is revoked',
      );
      return false;
    }
    if (now() >= issued.expiresAt) {
      error(res, 403, 'TokenError', 'Your token has expired. Please re-authenticate.');
      return false;
    }
    return true;
  }

  function secretJson(
    s: FakeSecret & { id: string; createdAt: string; updatedAt: string },
    where: { projectId: string; environment: string; secretPath: string; name: string },
  ) {
    return {
      id: s.id,
      _id: s.id,
      workspace: where.projectId,
      environment: where.environment,
      version: s.version,
      type: 'shared',
      secretKey: where.name,
      secretValue: s.value,
      secretComment: '',
      secretPath: where.secretPath,
      secretValueHidden: false,
      skipMultilineEncoding: false,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      tags: [],
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    fake.requests.push({ method: req.method ?? 'GET', path: url.pathname });
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return error(res, 400, 'BadRequestError', 'Body is not valid JSON');
      }
    }

    if (req.method === 'POST' && url.pathname === '/api/v1/auth/universal-auth/login') {
      const clientId = String(body.clientId ?? '').trim();
      const clientSecret = String(body.clientSecret ?? '').trim();
      if (clientId !== options.clientId) {
        return error(res, 404, 'NotFound', 'No identity with specified client ID was found');
      }
      if (clientSecret !== options.clientSecret)
        return error(res, 401, 'UnauthorizedError', 'Invalid credentials');
      return issueToken(res);
    }
    if (req.method === 'POST' && url.pathname === '/api/v1/auth/token/renew') {
      const token = String(body.accessToken ?? '').trim();
      const issued = tokens.get(token);
      if (!issued || issued.revoked)
        return error(res, 401, 'UnauthorizedError', 'Failed to renew access token');
      if (now() >= issued.expiresAt)
        return error(res, 403, 'TokenError', 'Your token has expired. Please re-authenticate.');
      if (now() + ttl * 1000 > issued.maxExpiresAt) {
        return error(res, 401, 'UnauthorizedError', 'Failed to renew MI access token due to Max TTL reached');
      }
      issued.expiresAt = now() + ttl * 1000;
      return send(res, 200, {
        accessToken: token,
        expiresIn: ttl,
        accessTokenMaxTTL: maxTtl,
        tokenType: 'Bearer',
      });
    }

    const match = /^\/api\/v4\/secrets\/([^/]+)$/.exec(url.pathname);
    if (!match) return error(res, 404, 'NotFound', `Route ${req.method}:${url.pathname} not found`);
    if (!authenticate(req, res)) return;
    if (failures && failures.count > 0) {
      failures.count -= 1;
      return error(
        res,
        failures.status,
        failures.status >= 500 ? 'InternalServerError' : 'Error',
        'Injected failure',
      );
    }

    const name = decodeURIComponent(match[1] ?? '');
    const source = req.method === 'GET' ? Object.fromEntries(url.searchParams) : body;
    const projectId = String(source.projectId ?? '').trim();
    const environment = String(source.environment ?? '').trim();
    const secretPath = normalizePath(typeof source.secretPath === 'string' ? source.secretPath : '/');
    const type = String(source.type ?? 'shared');
    if (!projectId || !environment)
      return error(res, 400, 'BadRequestError', 'Missing project id or environment');
    if (type !== 'shared') return error(res, 422, 'ValidationFailure', 'only shared secrets are faked');
    const environments = options.projects[projectId];
    if (!environments) return error(res, 404, 'NotFound', `Project with ID '${projectId}' not found`);
    if (!environments.includes(environment)) {
      return error(
        res,
        404,
        'NotFound',
        `Environment with slug '${environment}' in project with ID '${projectId}' not found`,
      );
    }
    if (!folders.has(secretPath)) {
      return error(
        res,
        404,
        'NotFound',
        `Folder with path '${secretPath}' in environment with slug '${environment}' not found`,
      );
    }
    const where = { projectId, environment, secretPath, name };
    const k = key(projectId, environment, secretPath, name);
    const existing = secrets.get(k);

    if (req.method === 'GET') {
      if (!existing) return error(res, 404, 'NotFound', `Secret with name '${name}' not found`);
      return send(res, 200, { secret: secretJson(existing, where) });
    }
    if (req.method !== 'POST' && req.method !== 'PATCH') {
      return error(res, 404, 'NotFound', `Route ${req.method}:${url.pathname} not found`);
    }
    if (fake.readOnly) {
      return error(
        res,
        403,
        'PermissionDenied',
        `You are not allowed to ${req.method === 'POST' ? 'create' : 'edit'} on secrets`,
      );
    }
    if (typeof body.secretValue !== 'string')
      return error(res, 422, 'ValidationFailure', 'secretValue is required');
    const value = trimLikeInfisical(body.secretValue);
    if (req.method === 'POST' && existing) return error(res, 400, 'BadRequestError', 'Secret already exist');
    if (req.method === 'PATCH' && !existing)
      return error(res, 404, 'NotFound', `Secret with name '${name}' not found`);

    if (fake.requireApproval) {
      const approval = {
        id: randomUUID(),
        slug: `req-${randomBytes(4).toString('hex')}`,
        policyId: randomUUID(),
        hasMerged: false,
        status: 'open',
        conflicts: [],
        folderId: randomUUID(),
        isReplicated: false,
        committerUserId: null,
        statusChangedByUserId: null,
        bypassReason: null,
        createdAt: new Date(now()).toISOString(),
        updatedAt: new Date(now()).toISOString(),
      };
      fake.approvals.push({ id: approval.id, slug: approval.slug, secretName: name, value });
      return send(res, 200, { approval });
    }
    fake.setSecret(projectId, environment, secretPath, name, value);
    const stored = secrets.get(k);
    return send(res, 200, { secret: stored && secretJson(stored, where) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        error(res, 500, 'InternalServerError', err instanceof Error ? err.message : String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  fake.siteUrl = `http://127.0.0.1:${port}`;
  fake.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
