/**
 * No credential crosses a redirect. Each destination talks to a front that answers 307 (or
 * another 3xx) to a second local listener; that listener forwards to the real server, so code that
 * follows the redirect would even succeed. It must receive nothing: not the Vault token, not the
 * AppRole secret_id, not the Infisical clientSecret or access token, not a signed AWS request.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DestinationError } from '../../src/errors/rotator-errors.js';
import { AwsSecretsManagerStore } from '../../src/stores/aws-secrets-manager/index.js';
import { InfisicalSecretStore } from '../../src/stores/infisical/index.js';
import { VaultSecretStore } from '../../src/stores/vault/index.js';
import { startInfisicalFake, type InfisicalFake } from '../stores/infisical-fake.js';
import { startOpenBaoServer, type OpenBaoServer } from '../stores/openbao-server.js';

const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const TOKEN = { idempotencyToken: 'rotation-test-0001-redirects-000000000' };
const CLIENT_ID = 'identity-client-id-redirects';
const CLIENT_SECRET = 'identity-client-secret-redirects-0001';
const PROJECT = 'proj-redirects';

interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Listener {
  url: string;
  close(): Promise<void>;
}

/** The second listener: records every request, then forwards it to `upstream` (when given). */
interface CapturingListener extends Listener {
  requests: CapturedRequest[];
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Sends the request on to `upstream` and copies its answer back. */
async function forward(
  upstream: string,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) {
      headers[name] = value;
    }
  }
  const answer = await fetch(`${upstream}${req.url ?? '/'}`, {
    method: req.method,
    headers,
    body: body.length > 0 ? new Uint8Array(body) : undefined,
    redirect: 'manual',
  });
  const text = Buffer.from(await answer.arrayBuffer());
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
  res.end(text);
}

async function startCapturingListener(upstream?: string): Promise<CapturingListener> {
  const requests: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: body.toString(),
      });
      if (upstream) await forward(upstream, req, body, res);
      else res.writeHead(500).end();
    })();
  });
  return { url: await listen(server), requests, close: closer(server) };
}

/**
 * The front the store is configured with: requests for which `redirects` says yes get `status`
 * with a Location on `target` (same path); the others are forwarded to `upstream`.
 */
async function startRedirectingFront(options: {
  upstream?: string;
  target: string;
  status?: number;
  redirects?: (method: string, path: string) => boolean;
}): Promise<Listener> {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const requestPath = (req.url ?? '/').split('?')[0] ?? '/';
      if (!options.upstream || (options.redirects ?? (() => true))(req.method ?? '', requestPath)) {
        res.writeHead(options.status ?? 307, { location: `${options.target}${req.url ?? '/'}` }).end();
        return;
      }
      await forward(options.upstream, req, body, res);
    })();
  });
  return { url: await listen(server), close: closer(server) };
}

/** What the call threw (fails the test when it did not throw). */
async function failureOf(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

/** Every byte the second listener received, to search for a credential. */
function everythingReceived(listener: CapturingListener): string {
  return listener.requests
    .map((r) => `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`)
    .join('\n');
}

function expectRedirectRefused(error: Error, target: string, addressField: string): void {
  expect(error).toBeInstanceOf(DestinationError);
  expect((error as DestinationError).retryable).toBe(false);
  expect(error.message).toContain(`answered a redirect (307) to ${target}`);
  expect(error.message).toContain('redirects are not followed so credentials are never sent elsewhere');
  expect(error.message).toContain(`set the ${addressField} to the final URL`);
}

describe('Vault behind a redirect (real OpenBao)', () => {
  let bao: OpenBaoServer;
  let dir: string;
  let secretId: string;
  let roleId: string;

  async function admin(method: string, apiPath: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${bao.address}/v1/${apiPath}`, {
      method,
      headers: { 'X-Vault-Token': bao.rootToken },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${apiPath}: HTTP ${response.status}`);
    return response.status === 204 ? undefined : response.json();
  }

  beforeAll(async () => {
    bao = await startOpenBaoServer();
    dir = await mkdtemp(path.join(tmpdir(), 'security-redirects-'));
    await admin('POST', 'sys/auth/approle', { type: 'approle' });
    await admin('POST', 'sys/policies/acl/rotator', {
      policy: 'path "secret/data/apps/*" { capabilities = ["create", "read", "update"] }',
    });
    await admin('POST', 'auth/approle/role/rotator', { token_policies: ['rotator'], token_ttl: '1h' });
    roleId = ((await admin('GET', 'auth/approle/role/rotator/role-id')) as { data: { role_id: string } }).data
      .role_id;
    secretId = (
      (await admin('POST', 'auth/approle/role/rotator/secret-id', {})) as { data: { secret_id: string } }
    ).data.secret_id;
    await writeFile(path.join(dir, 'role-id'), `${roleId}\n`);
    await writeFile(path.join(dir, 'secret-id'), `${secretId}\n`);
  });
  afterAll(async () => {
    await bao?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([301, 302, 303, 307, 308])(
    'never sends the token to the target of a %i and names the target',
    async (status) => {
      const elsewhere = await startCapturingListener(bao.address);
      const front = await startRedirectingFront({ target: elsewhere.url, status });
      try {
        const store = new VaultSecretStore(
          {
            type: 'vault',
            address: front.url,
            mount: 'secret',
            path: 'apps/redirected',
            field: 'OPENROUTER_API_KEY',
            auth: { method: 'token', token: { env: 'VAULT_TOKEN' } },
          },
          { env: { VAULT_TOKEN: bao.rootToken } },
        );

        const error = await failureOf(() => store.write(NEW_KEY, TOKEN));

        expect(error).toBeInstanceOf(DestinationError);
        expect(error.message).toContain(
          `Vault answered a redirect (${status}) to ${elsewhere.url}/v1/secret/data/apps/redirected`,
        );
        expect(elsewhere.requests).toEqual([]);
        expect(everythingReceived(elsewhere)).not.toContain(bao.rootToken);
      } finally {
        await front.close();
        await elsewhere.close();
      }
    },
  );

  it('never sends the AppRole role_id and secret_id to the target of a redirected login', async () => {
    const elsewhere = await startCapturingListener(bao.address);
    const front = await startRedirectingFront({
      upstream: bao.address,
      target: elsewhere.url,
      redirects: (_method, requestPath) => requestPath === '/v1/auth/approle/login',
    });
    try {
      const store = new VaultSecretStore(
        {
          type: 'vault',
          address: front.url,
          mount: 'secret',
          path: 'apps/redirected-login',
          field: 'OPENROUTER_API_KEY',
          auth: {
            method: 'approle',
            roleId: { file: 'role-id' },
            secretId: { file: 'secret-id' },
            mount: 'approle',
          },
        },
        { cwd: dir, env: {} },
      );

      const error = await failureOf(() => store.read());

      expectRedirectRefused(error, `${elsewhere.url}/v1/auth/approle/login`, 'address');
      expect(elsewhere.requests).toEqual([]);
      expect(everythingReceived(elsewhere)).not.toContain(secretId);
      expect(error.message).not.toContain(secretId);
    } finally {
      await front.close();
      await elsewhere.close();
    }
  });

  it('never sends the AppRole token to the target of a redirected secret write', async () => {
    const elsewhere = await startCapturingListener(bao.address);
    const front = await startRedirectingFront({
      upstream: bao.address,
      target: elsewhere.url,
      redirects: (method, requestPath) => method === 'POST' && requestPath.startsWith('/v1/secret/'),
    });
    try {
      const store = new VaultSecretStore(
        {
          type: 'vault',
          address: front.url,
          mount: 'secret',
          path: 'apps/redirected-write',
          field: 'OPENROUTER_API_KEY',
          auth: {
            method: 'approle',
            roleId: { file: 'role-id' },
            secretId: { file: 'secret-id' },
            mount: 'approle',
          },
        },
        { cwd: dir, env: {} },
      );

      const error = await failureOf(() => store.write(NEW_KEY, TOKEN));

      expectRedirectRefused(error, `${elsewhere.url}/v1/secret/data/apps/redirected-write`, 'address');
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await front.close();
      await elsewhere.close();
    }
  });
});

describe('Infisical behind a redirect (in-repo fake)', () => {
  let fake: InfisicalFake;

  beforeAll(async () => {
    fake = await startInfisicalFake({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      projects: { [PROJECT]: ['prod'] },
    });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  function storeAt(siteUrl: string): InfisicalSecretStore {
    return new InfisicalSecretStore(
      {
        type: 'infisical',
        siteUrl,
        projectId: PROJECT,
        environment: 'prod',
        secretPath: '/',
        secretName: 'OPENROUTER_API_KEY',
        auth: { clientId: { env: 'INFISICAL_CLIENT_ID' }, clientSecret: { env: 'INFISICAL_CLIENT_SECRET' } },
      },
      { env: { INFISICAL_CLIENT_ID: CLIENT_ID, INFISICAL_CLIENT_SECRET: CLIENT_SECRET } },
    );
  }

  it('never sends the clientSecret to the target of a redirected universal-auth login', async () => {
    const elsewhere = await startCapturingListener(fake.siteUrl);
    const front = await startRedirectingFront({
      upstream: fake.siteUrl,
      target: elsewhere.url,
      redirects: (_method, requestPath) => requestPath === '/api/v1/auth/universal-auth/login',
    });
    try {
      const error = await failureOf(() => storeAt(front.url).write(NEW_KEY, TOKEN));

      expectRedirectRefused(error, `${elsewhere.url}/api/v1/auth/universal-auth/login`, 'siteUrl');
      expect(elsewhere.requests).toEqual([]);
      expect(everythingReceived(elsewhere)).not.toContain(CLIENT_SECRET);
      expect(error.message).not.toContain(CLIENT_SECRET);
    } finally {
      await front.close();
      await elsewhere.close();
    }
  });

  it('never sends the access token to the target of a redirected secrets call', async () => {
    const elsewhere = await startCapturingListener(fake.siteUrl);
    const front = await startRedirectingFront({
      upstream: fake.siteUrl,
      target: elsewhere.url,
      redirects: (_method, requestPath) => requestPath.startsWith('/api/v4/secrets/'),
    });
    try {
      const error = await failureOf(() => storeAt(front.url).read());

      expect(error).toBeInstanceOf(DestinationError);
      expect(error.message).toMatch(
        new RegExp(`answered a redirect \\(307\\) to ${elsewhere.url}/api/v4/secrets/OPENROUTER_API_KEY\\?`),
      );
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await front.close();
      await elsewhere.close();
    }
  });
});

describe('AWS Secrets Manager behind a redirect', () => {
  it('the SDK does not follow a 307 either: the target receives no signed request', async () => {
    const credentials = { accessKeyId: 'AKIAREDIRECTTEST0001', secretAccessKey: 'redirect-test-secret' };
    const elsewhere = await startCapturingListener();
    const front = await startRedirectingFront({ target: elsewhere.url });
    try {
      const store = new AwsSecretsManagerStore(
        {
          type: 'aws-secrets-manager',
          secretId: 'checkout/openrouter',
          region: 'us-east-1',
          endpoint: front.url,
        },
        { clientConfig: { credentials, maxAttempts: 1 } },
      );

      const error = await failureOf(() => store.read());

      expect(error).toBeInstanceOf(DestinationError);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await front.close();
      await elsewhere.close();
    }
  });
});
