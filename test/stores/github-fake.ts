/**
 * An in-repo fake of the GitHub REST endpoints the `github-actions-secret` destination uses, whose
 * every request and response is checked against GitHub's published OpenAPI description (the
 * dereferenced api.github.com document of the `@octokit/openapi` package): path parameters and
 * JSON request bodies against the operation's schemas, and every answer's status and body against
 * the operation's documented responses. What does not match is recorded in `violations` (and a
 * request that does not match is answered 422), so a test ends with `expect(fake.violations).toEqual([])`.
 * GitHub's description documents no error answers for most of these operations although GitHub
 * sends them (401, 403, 404, 422, 429, 5xx): those are checked against GitHub's `basic-error` shape.
 *
 * Served: repository, environment and organisation secrets (`GET …/public-key`, `GET` and `PUT
 * …/secrets/{name}`) and `POST /app/installations/{id}/access_tokens` (a GitHub App JWT, RS256,
 * checked with the App's public key). The fake holds a real libsodium key pair per scope and opens
 * every sealed box it is sent, so `secrets()` shows what was really stored; `rotatePublicKey()`
 * makes the next PUT with the old `key_id` fail with 422 like GitHub after a key change.
 *
 * node:http on 127.0.0.1, port 0. Start it from any test: `startGithubFake(options)` →
 * `{ url, stop, secrets }`.
 */
import { randomBytes, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import sodium from 'libsodium-wrappers';

export interface GithubFakeOptions {
  /** Personal access tokens that may read and write every secret. @default [] */
  tokens?: string[];
  /** Tokens that may read secrets and public keys but get 403 on writes. @default [] */
  readOnlyTokens?: string[];
  /** A GitHub App that may get installation tokens (checked with its public key, PEM). */
  app?: { appId: string; installationId: string; publicKeyPem: string };
  /** `owner/repo` of existing repositories. @default [] */
  repositories?: string[];
  /** Environments per repository, e.g. `{ 'octo/app': ['production'] }`. @default {} */
  environments?: Record<string, string[]>;
  /** Existing organisations. @default [] */
  organizations?: string[];
  /** Installation token lifetime. @default 3600000 (GitHub: one hour) */
  installationTokenTtlMs?: number;
  /** Clock. @default Date.now */
  now?: () => number;
}

/** One secret as the fake holds it, the sealed box opened. */
export interface GithubFakeSecret {
  /** `repos/<owner>/<repo>`, `repos/<owner>/<repo>/environments/<env>` or `orgs/<org>`. */
  scope: string;
  name: string;
  value: string;
  createdAt: string;
  updatedAt: string;
  visibility?: string;
  selectedRepositoryIds?: number[];
}

export interface GithubFake {
  /** e.g. http://127.0.0.1:40123 — the `apiUrl` of a destination. */
  url: string;
  stop(): Promise<void>;
  /** Every secret stored, values in clear (the fake opened the sealed boxes). */
  secrets(): GithubFakeSecret[];
  /** Every request received, in order (method and path without query). */
  requests: { method: string; path: string }[];
  /** Every difference from GitHub's OpenAPI description, in requests or the fake's own answers. */
  violations: string[];
  /** Installation tokens issued to the App so far. */
  installationTokensIssued: number;
  /** Makes a new key pair (and key_id) for every scope: a PUT sealed for the old key then fails. */
  rotatePublicKey(): void;
  /** Makes the next `count` secret requests answer `status` with these headers. */
  failNext(status: number, count?: number, headers?: Record<string, string>): void;
  /** Makes the next secret request answer a 307 redirect to `location`. */
  redirectNext(location: string): void;
  /** Sets a secret directly (as if someone wrote it), optionally at a given time. */
  setSecret(scope: string, name: string, value: string, at?: number): void;
  /** Deletes a secret directly. */
  deleteSecret(scope: string, name: string): void;
}

const require = createRequire(import.meta.url);
// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface OpenApiOperation {
  parameters?: { name: string; in: string; schema?: object }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: object }> };
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}

/** The operations the fake serves, from GitHub's description (parsed once per process: 73 MB). */
let described: Map<string, OpenApiOperation> | undefined;
function describedOperations(): Map<string, OpenApiOperation> {
  if (described) return described;
  const file = require.resolve('@octokit/openapi/generated/api.github.com.deref.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  described = new Map();
  for (const [template] of ROUTES) {
    for (const [method, operation] of Object.entries(doc.paths[template] ?? {})) {
      described.set(`${method.toUpperCase()} ${template}`, operation);
    }
  }
  return described;
}

/** OpenAPI 3.0 schema → JSON Schema: `nullable: true` becomes a `null` type. */
function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'examples') continue;
    out[key] = key === 'properties' ? mapValues(value, jsonSchemaOf) : jsonSchemaOf(value);
  }
  if ((schema as { nullable?: boolean }).nullable) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.enum) out.enum = [...(out.enum as unknown[]), null];
    else return { anyOf: [out, { type: 'null' }] };
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

function mapValues(value: unknown, fn: (v: unknown) => unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)]));
}

const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
const compiled = new Map<object, ValidateFunction>();
function validatorOf(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(jsonSchemaOf(schema) as object);
    compiled.set(schema, validate);
  }
  return validate;
}

/** GitHub's error body (its `basic-error` schema), for answers the operations do not document. */
const BASIC_ERROR = {
  type: 'object',
  properties: {
    message: { type: 'string' },
    documentation_url: { type: 'string' },
    url: { type: 'string' },
    status: { type: 'string' },
  },
};

/** The OpenAPI path templates served, and how a concrete path matches each. */
const ROUTES: [template: string, pattern: RegExp][] = [
  [
    '/repos/{owner}/{repo}/actions/secrets/public-key',
    /^\/repos\/([^/]+)\/([^/]+)\/actions\/secrets\/public-key$/,
  ],
  [
    '/repos/{owner}/{repo}/actions/secrets/{secret_name}',
    /^\/repos\/([^/]+)\/([^/]+)\/actions\/secrets\/([^/]+)$/,
  ],
  [
    '/repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key',
    /^\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)\/secrets\/public-key$/,
  ],
  [
    '/repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}',
    /^\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)\/secrets\/([^/]+)$/,
  ],
  ['/orgs/{org}/actions/secrets/public-key', /^\/orgs\/([^/]+)\/actions\/secrets\/public-key$/],
  ['/orgs/{org}/actions/secrets/{secret_name}', /^\/orgs\/([^/]+)\/actions\/secrets\/([^/]+)$/],
  ['/app/installations/{installation_id}/access_tokens', /^\/app\/installations\/([^/]+)\/access_tokens$/],
];

/** A path segment as its schema's type (path segments arrive as text). */
function pathValue(schema: object, segment: string): unknown {
  const decoded = decodeURIComponent(segment);
  const type = (schema as { type?: string }).type;
  return type === 'integer' || type === 'number' ? Number(decoded) : decoded;
}

/** GitHub's timestamps: ISO 8601 to the second. */
function githubTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function startGithubFake(options: GithubFakeOptions = {}): Promise<GithubFake> {
  await sodium.ready;
  const operations = describedOperations();
  const now = options.now ?? Date.now;
  const writers = new Set(options.tokens ?? []);
  const readers = new Set(options.readOnlyTokens ?? []);
  const installationTokens = new Map<string, number>();
  const stored = new Map<string, GithubFakeSecret>();
  let keyPair = sodium.crypto_box_keypair();
  let keyId = String(Date.now());
  const failures: Reply[] = [];
  let redirectTo: string | undefined;

  const repositories = new Set(options.repositories ?? []);
  const organizations = new Set(options.organizations ?? []);
  const environments = options.environments ?? {};

  const fake: GithubFake = {
    url: '',
    stop: async () => undefined,
    secrets: () => [...stored.values()].map((s) => ({ ...s })),
    requests: [],
    violations: [],
    installationTokensIssued: 0,
    rotatePublicKey() {
      keyPair = sodium.crypto_box_keypair();
      keyId = String(Number(keyId) + 1);
    },
    failNext(status, count = 1, headers = {}) {
      for (let i = 0; i < count; i++) {
        failures.push({
          status,
          headers,
          body: { message: `fake failure ${status}`, status: String(status) },
        });
      }
    },
    redirectNext(location) {
      redirectTo = location;
    },
    setSecret(scope, name, value, at = now()) {
      const existing = stored.get(`${scope}\n${name}`);
      stored.set(`${scope}\n${name}`, {
        scope,
        name,
        value,
        createdAt: existing?.createdAt ?? githubTime(at),
        updatedAt: githubTime(at),
      });
    },
    deleteSecret(scope, name) {
      stored.delete(`${scope}\n${name}`);
    },
  };

  /** The scope a request names, or undefined when the repository/environment/org does not exist. */
  function scopeOf(template: string, params: string[]): string | undefined {
    if (template.startsWith('/orgs/')) return organizations.has(params[0]!) ? `orgs/${params[0]}` : undefined;
    const repository = `${params[0]}/${params[1]}`;
    if (!repositories.has(repository)) return undefined;
    if (template.includes('/environments/')) {
      return (environments[repository] ?? []).includes(params[2]!)
        ? `repos/${repository}/environments/${params[2]}`
        : undefined;
    }
    return `repos/${repository}`;
  }

  function bearer(req: IncomingMessage): string | undefined {
    const match = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '');
    return match?.[1];
  }

  function tokenRights(token: string | undefined): 'write' | 'read' | undefined {
    if (token === undefined) return undefined;
    if (writers.has(token)) return 'write';
    const expiresAt = installationTokens.get(token);
    if (expiresAt !== undefined && now() < expiresAt) return 'write';
    return readers.has(token) ? 'read' : undefined;
  }

  function issueInstallationToken(req: IncomingMessage, installationId: string): Reply {
    const app = options.app;
    const jwt = bearer(req) ?? '';
    const [header, payload, signature] = jwt.split('.');
    const valid =
      app !== undefined &&
      header !== undefined &&
      payload !== undefined &&
      signature !== undefined &&
      verify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        app.publicKeyPem,
        Buffer.from(signature, 'base64url'),
      );
    if (!valid || !app) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as {
      iss?: unknown;
      exp?: number;
    };
    const nowSeconds = Math.floor(now() / 1000);
    if (
      String(claims.iss) !== app.appId ||
      (claims.exp ?? 0) <= nowSeconds ||
      (claims.exp ?? 0) > nowSeconds + 600
    ) {
      return {
        status: 401,
        body: { message: "'Expiration time' claim ('exp') is too far in the future or expired" },
      };
    }
    if (installationId !== app.installationId) return { status: 404, body: { message: 'Not Found' } };
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    const expiresAt = now() + (options.installationTokenTtlMs ?? 3_600_000);
    installationTokens.set(token, expiresAt);
    fake.installationTokensIssued++;
    return {
      status: 201,
      body: {
        token,
        expires_at: githubTime(expiresAt),
        permissions: { secrets: 'write' },
        repository_selection: 'all',
      },
    };
  }

  function handle(req: IncomingMessage, template: string, params: string[], body: unknown): Reply {
    if (template.startsWith('/app/')) return issueInstallationToken(req, params[0]!);
    const rights = tokenRights(bearer(req));
    if (!rights) return { status: 401, body: { message: 'Bad credentials', status: '401' } };
    const failure = failures.shift();
    if (failure) return failure;
    const scope = scopeOf(template, params);
    if (!scope) return { status: 404, body: { message: 'Not Found', status: '404' } };
    if (template.endsWith('/public-key')) {
      return {
        status: 200,
        body: { key_id: keyId, key: sodium.to_base64(keyPair.publicKey, sodium.base64_variants.ORIGINAL) },
      };
    }
    const name = decodeURIComponent(params.at(-1)!);
    const id = `${scope}\n${name}`;
    if (req.method === 'GET') {
      const secret = stored.get(id);
      if (!secret) return { status: 404, body: { message: 'Not Found', status: '404' } };
      const metadata: Record<string, unknown> = {
        name,
        created_at: secret.createdAt,
        updated_at: secret.updatedAt,
      };
      if (scope.startsWith('orgs/')) {
        metadata.visibility = secret.visibility ?? 'private';
        if (secret.visibility === 'selected') {
          metadata.selected_repositories_url = `${fake.url}/orgs/${params[0]}/actions/secrets/${name}/repositories`;
        }
      }
      return { status: 200, body: metadata };
    }
    if (rights !== 'write') {
      return {
        status: 403,
        body: { message: 'Resource not accessible by personal access token', status: '403' },
      };
    }
    const put = body as {
      encrypted_value: string;
      key_id: string;
      visibility?: string;
      selected_repository_ids?: number[];
    };
    if (put.key_id !== keyId) {
      return {
        status: 422,
        body: { message: 'Bad request - key_id does not match the current public key', status: '422' },
      };
    }
    let value: string;
    try {
      value = sodium.crypto_box_seal_open(
        sodium.from_base64(put.encrypted_value, sodium.base64_variants.ORIGINAL),
        keyPair.publicKey,
        keyPair.privateKey,
        'text',
      );
    } catch {
      return {
        status: 422,
        body: { message: 'Bad request - could not decrypt encrypted_value', status: '422' },
      };
    }
    const existing = stored.get(id);
    const at = githubTime(now());
    stored.set(id, {
      scope,
      name,
      value,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
      ...(put.visibility ? { visibility: put.visibility } : {}),
      ...(put.selected_repository_ids ? { selectedRepositoryIds: put.selected_repository_ids } : {}),
    });
    return existing ? { status: 204 } : { status: 201, body: {} };
  }

  /** Checks the request against the described operation: path parameters and JSON body. */
  function requestViolations(
    operation: OpenApiOperation,
    template: string,
    params: string[],
    body: unknown,
  ): string[] {
    const problems: string[] = [];
    const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    names.forEach((name, i) => {
      const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
      if (!parameter) problems.push(`path parameter ${name} is not described`);
      else if (parameter.schema && !validatorOf(parameter.schema)(pathValue(parameter.schema, params[i]!))) {
        problems.push(`path parameter ${name} does not match its schema`);
      }
    });
    const schema = operation.requestBody?.content?.['application/json']?.schema;
    if (body === undefined && operation.requestBody && !operation.requestBody.required) {
      // An optional body left out.
    } else if (schema) {
      const validate = validatorOf(schema);
      if (!validate(body)) problems.push(`request body: ${ajv.errorsText(validate.errors)}`);
    } else if (body !== undefined) {
      problems.push('the operation takes no request body');
    }
    return problems;
  }

  function responseViolations(operation: OpenApiOperation, reply: Reply): string[] {
    const described = operation.responses[String(reply.status)];
    if (!described) {
      if (reply.status < 400) return [`status ${reply.status} is not described`];
      const validate = validatorOf(BASIC_ERROR);
      return reply.body === undefined || validate(reply.body)
        ? []
        : [`error ${reply.status}: ${ajv.errorsText(validate.errors)}`];
    }
    const schema = described.content?.['application/json']?.schema;
    if (!schema)
      return reply.body === undefined ? [] : [`status ${reply.status} has no body in the description`];
    const validate = validatorOf(schema);
    return validate(reply.body) ? [] : [`response ${reply.status}: ${ajv.errorsText(validate.errors)}`];
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    fake.requests.push({ method: req.method ?? '', path });
    const send = (reply: Reply) => {
      res.writeHead(reply.status, {
        ...(reply.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...reply.headers,
      });
      res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    };
    if (redirectTo !== undefined) {
      const location = redirectTo;
      redirectTo = undefined;
      return send({ status: 307, headers: { location } });
    }
    const route = ROUTES.map(([template, pattern]) => ({ template, match: pattern.exec(path) })).find(
      (r) => r.match,
    );
    const operation = route && operations.get(`${req.method} ${route.template}`);
    if (!route?.match || !operation) {
      fake.violations.push(`${req.method} ${path}: not an operation the fake serves`);
      return send({ status: 404, body: { message: 'Not Found' } });
    }
    const params = route.match.slice(1);
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        fake.violations.push(`${req.method} ${route.template}: request body is not JSON`);
        return send({ status: 400, body: { message: 'Problems parsing JSON' } });
      }
    }
    const invalid = requestViolations(operation, route.template, params, body);
    if (invalid.length > 0) {
      fake.violations.push(...invalid.map((p) => `${req.method} ${route.template}: ${p}`));
      return send({ status: 422, body: { message: `Invalid request: ${invalid.join('; ')}` } });
    }
    const reply = handle(req, route.template, params, body);
    fake.violations.push(
      ...responseViolations(operation, reply).map((p) => `${req.method} ${route.template}: ${p}`),
    );
    send(reply);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      fake.violations.push(`fake crashed: ${String(err)}`);
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}
