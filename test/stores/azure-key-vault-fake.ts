/**
 * A FAKE of Azure Key Vault's secrets REST API and of the Microsoft Entra token endpoint it takes
 * tokens from (not a server of Microsoft's): Lowkey Vault, the Key Vault test server, cannot be had
 * here (Maven Central answers 404 for com.github.nagyesta.lowkey-vault:lowkey-vault-app, checked
 * 2026-12-07). Both are served over HTTPS with the fake's own certificate, which the test trusts
 * explicitly ({@link trustKeyVaultFake}); nothing turns TLS verification off.
 *
 * Shapes: every body the fake reads and writes is typed with, and passed through, the SDK's own
 * wire (de)serialisers (`@azure/keyvault-secrets`' generated models), for the api-version the SDK
 * sends (`LATEST_API_VERSION`, refused otherwise). Behaviour follows Microsoft's REST reference for
 * the calls the destination makes: Set Secret (PUT, a new version each call, a 32-hex version id),
 * Get Secret (no version = the newest; a disabled one is 403 `SecretDisabled`), Get Secret Versions,
 * Update Secret (PATCH attributes and tags, never the value); the bearer challenge (401 with
 * `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="<resource>"`) before
 * any body is sent; and Azure RBAC by data action (403 `Forbidden`/`ForbiddenByRbac`, the message
 * naming `Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'`). Timestamps are Unix
 * seconds, as the service's. The token endpoint takes the client credentials grant (a client secret,
 * or a certificate's signed client assertion, checked against the registered certificate).
 */
import { createVerify, randomBytes, X509Certificate } from 'node:crypto';
import dns from 'node:dns';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import tls from 'node:tls';
// The SDK's own wire models (not exported from its entry point, so by file).
import type {
  KeyVaultError,
  SecretBundle,
  SecretItem,
  SecretSetParameters,
  SecretUpdateParameters,
} from '../../node_modules/@azure/keyvault-secrets/dist/esm/models/models.js';
import {
  keyVaultErrorDeserializer,
  secretBundleDeserializer,
  secretItemDeserializer,
  secretSetParametersSerializer,
  secretUpdateParametersSerializer,
} from '../../node_modules/@azure/keyvault-secrets/dist/esm/models/models.js';
import { LATEST_API_VERSION } from '../../node_modules/@azure/keyvault-secrets/dist/esm/secretsModels.js';
import { selfSignedCertificate } from '../support/self-signed-certificate.js';

/** The data actions of Azure RBAC for secrets (Key Vault Secrets Officer has them all). */
export const DATA_ACTION = {
  get: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  set: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  readMetadata: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  update: 'Microsoft.KeyVault/vaults/secrets/update/action',
} as const;

/** The operations the fake answers, for lost replies and interleaved writers. */
export type KeyVaultOperation = 'setSecret' | 'getSecret' | 'getSecretVersions' | 'updateSecret';

interface FakeVersion {
  id: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  exp?: number;
  created: number;
  updated: number;
}

interface App {
  clientId: string;
  secret?: string;
  certificate?: X509Certificate;
  /** Data actions granted; undefined = all of them. */
  actions?: Set<string>;
}

/** What a test sees of a secret: its versions, oldest first. */
export interface VersionView {
  value: string;
  enabled: boolean;
  tags: Record<string, string>;
  contentType?: string;
  /** The expiry as an ISO time, when set. */
  expires?: string;
}

/** The wire shapes: the serialisers map the SDK's models to them, so their return types are these. */
type WireSet = ReturnType<typeof secretSetParametersSerializer>;
type WireUpdate = ReturnType<typeof secretUpdateParametersSerializer>;

const VAULT_NAME = 'acme';
/** The resource in the challenge: the vault's host must end with `.<its host>` (the SDK checks). */
const RESOURCE_HOST = 'vault.localhost';
const AUTHORITY_HOST = 'login.localhost';

export class KeyVaultFake {
  readonly tenantId = '00000000-0000-4000-8000-0000000000aa';
  private readonly secrets = new Map<string, FakeVersion[]>();
  private readonly apps = new Map<string, App>();
  private readonly tokens = new Map<string, string>();
  private readonly lostReplies = new Set<KeyVaultOperation>();
  private readonly interleaved = new Map<KeyVaultOperation, () => void>();
  /** Seconds since the epoch: the tests move it on so versions' `created` times differ. */
  private clock = Math.floor(Date.now() / 1000);
  /** Every request, `METHOD path` (no query), in order. */
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** The PEM of the certificate both endpoints serve: the test trusts it. */
    readonly caPem: string,
  ) {}

  /** `https://acme.vault.localhost:<port>`: a destination's `vaultUrl`. */
  get vaultUrl(): string {
    return `https://${VAULT_NAME}.${RESOURCE_HOST}:${this.port}`;
  }

  /** `https://login.localhost:<port>`: a credential's `authorityHost`. */
  get authorityHost(): string {
    return `https://${AUTHORITY_HOST}:${this.port}`;
  }

  static async start(): Promise<KeyVaultFake> {
    const { keyFile, certFile } = selfSignedCertificate({
      commonName: RESOURCE_HOST,
      altNames: [`DNS:*.${RESOURCE_HOST}`, `DNS:${AUTHORITY_HOST}`, 'IP:127.0.0.1'],
    });
    const caPem = readFileSync(certFile, 'utf8');
    const bound: { fake?: KeyVaultFake } = {};
    const server = createServer({ key: readFileSync(keyFile), cert: caPem }, (req, res) => {
      bound.fake!.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'InternalError', message: String(err) } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    bound.fake = new KeyVaultFake(server, port, caPem);
    return bound.fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Registers an application with a client secret; `actions` are its data actions on the vault (all when left out). */
  addApp(clientId: string, secret: string, actions?: string[]): void {
    this.apps.set(clientId, { clientId, secret, ...(actions ? { actions: new Set(actions) } : {}) });
  }

  /** Registers an application whose credential is the certificate `certPem`. */
  addCertificateApp(clientId: string, certPem: string): void {
    this.apps.set(clientId, { clientId, certificate: new X509Certificate(certPem) });
  }

  /** The next `operation` takes effect, then its reply is lost (the connection is dropped). */
  loseNextReply(operation: KeyVaultOperation): void {
    this.lostReplies.add(operation);
  }

  /** Runs `writer` (another writer's change) just before the next `operation` is carried out. */
  beforeNext(operation: KeyVaultOperation, writer: () => void): void {
    this.interleaved.set(operation, writer);
  }

  /** Adds a version holding `value` as an administrator or another writer would (no RBAC check). */
  seed(name: string, value: string, tags: Record<string, string> = {}): string {
    return this.addVersion(name, { value, tags }).id;
  }

  /** Disables the newest version of `name`, as an administrator would. */
  disableNewest(name: string): void {
    const newest = this.secrets.get(name)?.at(-1);
    if (newest) newest.enabled = false;
  }

  /** The versions of `name`, oldest first, or undefined when there is no such secret. */
  view(name: string): VersionView[] | undefined {
    return this.secrets.get(name)?.map((v) => ({
      value: v.value,
      enabled: v.enabled,
      tags: v.tags ?? {},
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      ...(v.exp !== undefined ? { expires: new Date(v.exp * 1000).toISOString() } : {}),
    }));
  }

  private addVersion(name: string, body: WireSet): FakeVersion {
    const versions = this.secrets.get(name) ?? [];
    // A second on: created times order the versions, as they do in the service.
    const now = ++this.clock;
    const version: FakeVersion = {
      id: randomBytes(16).toString('hex'),
      value: body.value,
      ...(body.contentType !== undefined ? { contentType: body.contentType } : {}),
      ...(body.tags !== undefined ? { tags: { ...body.tags } } : {}),
      enabled: body.attributes?.enabled ?? true,
      ...(body.attributes?.exp ? { exp: body.attributes.exp } : {}),
      created: now,
      updated: now,
    };
    versions.push(version);
    this.secrets.set(name, versions);
    return version;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `https://${req.headers.host}`);
    this.requests.push(`${req.method} ${url.pathname}`);
    const body = await readBody(req);
    if (url.hostname === AUTHORITY_HOST) return this.identity(req, url, body, res);
    if (url.hostname !== `${VAULT_NAME}.${RESOURCE_HOST}`)
      return json(res, 404, { error: { code: 'NotFound', message: `no vault at ${url.hostname}` } });
    if (url.searchParams.get('api-version') !== LATEST_API_VERSION)
      return vaultError(
        res,
        400,
        'BadParameter',
        `The specified version (${url.searchParams.get('api-version')}) is not recognized.`,
      );
    const caller = this.callerOf(req);
    if (!caller) {
      // The challenge: the SDK sends the first request without a body and a token.
      res.writeHead(401, {
        'www-authenticate': `Bearer authorization="${this.authorityHost}/${this.tenantId}", resource="https://${RESOURCE_HOST}"`,
        'content-type': 'application/json',
      });
      res.end(
        JSON.stringify({
          error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
        }),
      );
      return;
    }
    const [, collection, name, rest] = url.pathname.split('/');
    if (collection !== 'secrets' || !name)
      return vaultError(res, 404, 'NotFound', `no route ${req.method} ${url.pathname}`);
    const operation = operationOf(req.method ?? '', rest);
    if (!operation) return vaultError(res, 405, 'MethodNotAllowed', `${req.method} ${url.pathname}`);
    const action = {
      setSecret: DATA_ACTION.set,
      getSecret: DATA_ACTION.get,
      getSecretVersions: DATA_ACTION.readMetadata,
      updateSecret: DATA_ACTION.update,
    }[operation];
    const app = this.apps.get(caller)!;
    if (app.actions && !app.actions.has(action)) {
      return json(res, 403, {
        error: {
          code: 'Forbidden',
          message:
            'Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role ' +
            'definitions were changed recently, please observe propagation time.\r\n' +
            `Caller: appid=${caller};oid=${caller};iss=https://sts.windows.net/${this.tenantId}/\r\n` +
            `Action: '${action}'\r\nResource: '/subscriptions/0/resourcegroups/test/providers/microsoft.keyvault/vaults/${VAULT_NAME}/secrets/${name}'\r\n` +
            'Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null\r\nVault: acme;location=westeurope\r\n',
          innererror: { code: 'ForbiddenByRbac' },
        },
      } satisfies WireError);
    }
    const writer = this.interleaved.get(operation);
    this.interleaved.delete(operation);
    writer?.();
    const [status, reply] = this.answer(operation, name, rest ?? '', url, body);
    if (this.lostReplies.delete(operation)) {
      req.socket.destroy();
      return;
    }
    json(res, status, reply);
  }

  private answer(
    operation: KeyVaultOperation,
    name: string,
    version: string,
    url: URL,
    body: string,
  ): [number, unknown] {
    const notFound = (): [number, WireError] => [
      404,
      {
        error: {
          code: 'SecretNotFound',
          message: `A secret with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
        },
      },
    ];
    const versions = this.secrets.get(name);
    switch (operation) {
      case 'setSecret': {
        const parsed = JSON.parse(body) as WireSet;
        if (typeof parsed.value !== 'string')
          return [400, { error: { code: 'BadParameter', message: 'Property value is required' } }];
        // Exactly the fields the SDK's serialiser writes, nothing the service would not know.
        const known = secretSetParametersSerializer(
          modelOfSet(parsed) as SecretSetParameters & { secretAttributes?: never },
        );
        expectSameKeys(parsed, known, 'Set Secret body');
        return [200, this.bundle(name, this.addVersion(name, parsed), true)];
      }
      case 'getSecret': {
        if (!versions) return notFound();
        const found = version === '' ? versions.at(-1) : versions.find((v) => v.id === version);
        if (!found) return notFound();
        if (!found.enabled)
          return [
            403,
            {
              error: {
                code: 'Forbidden',
                message: 'Operation get is not allowed on a disabled secret.',
                innererror: { code: 'SecretDisabled' },
              },
            },
          ];
        return [200, this.bundle(name, found, true)];
      }
      case 'getSecretVersions': {
        if (!versions) return notFound();
        const max = Number(url.searchParams.get('maxresults') ?? 25);
        const value = versions.map((v) => this.item(name, v));
        // One page: the destination's secrets have few versions; a longer list would need nextLink.
        if (value.length > max) throw new Error(`the fake serves one page of at most ${max} versions`);
        return [200, { value, nextLink: null }];
      }
      case 'updateSecret': {
        const found = versions?.find((v) => v.id === version);
        if (!found) return notFound();
        const parsed = JSON.parse(body) as WireUpdate;
        expectSameKeys(parsed, secretUpdateParametersSerializer(modelOfUpdate(parsed)), 'Update Secret body');
        if (parsed.attributes?.enabled !== undefined) found.enabled = parsed.attributes.enabled;
        if (parsed.attributes?.exp !== undefined) found.exp = parsed.attributes.exp;
        if (parsed.tags !== undefined) found.tags = { ...parsed.tags };
        if (parsed.contentType !== undefined) found.contentType = parsed.contentType;
        found.updated = ++this.clock;
        return [200, this.bundle(name, found, false)];
      }
    }
  }

  private attributes(v: FakeVersion) {
    return {
      enabled: v.enabled,
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: 90,
    };
  }

  private bundle(name: string, v: FakeVersion, withValue: boolean): WireBundle {
    const wire: WireBundle = {
      ...(withValue ? { value: v.value } : {}),
      id: `${this.vaultUrl}/secrets/${name}/${v.id}`,
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      attributes: this.attributes(v),
      ...(v.tags !== undefined ? { tags: v.tags } : {}),
    };
    // Every field is one the SDK reads: its deserialiser keeps each of them.
    expectNoneDropped(wire, secretBundleDeserializer(wire), 'secret bundle');
    return wire;
  }

  private item(name: string, v: FakeVersion): WireItem {
    const wire: WireItem = {
      id: `${this.vaultUrl}/secrets/${name}/${v.id}`,
      attributes: this.attributes(v),
      ...(v.tags !== undefined ? { tags: v.tags } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    };
    expectNoneDropped(wire, secretItemDeserializer(wire), 'secret item');
    return wire;
  }

  private callerOf(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ')) return undefined;
    return this.tokens.get(auth.slice('Bearer '.length));
  }

  /** The Entra endpoints MSAL uses for the client credentials grant: metadata, then the token. */
  private identity(req: IncomingMessage, url: URL, body: string, res: ServerResponse): void {
    const base = `${this.authorityHost}/${this.tenantId}`;
    if (req.method === 'GET' && url.pathname === `/${this.tenantId}/v2.0/.well-known/openid-configuration`) {
      return json(res, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        issuer: `${base}/v2.0`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
      });
    }
    if (req.method === 'POST' && url.pathname === `/${this.tenantId}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(body);
      const app = this.apps.get(form.get('client_id') ?? '');
      const scope = form.get('scope') ?? '';
      const deny = (description: string) =>
        json(res, 401, { error: 'invalid_client', error_description: description });
      if (form.get('grant_type') !== 'client_credentials' || !app)
        return deny('AADSTS700016: Application not found');
      if (!scope.split(' ').includes(`https://${RESOURCE_HOST}/.default`))
        return json(res, 400, {
          error: 'invalid_scope',
          error_description: `AADSTS70011: invalid scope ${scope}`,
        });
      if (
        app.secret !== undefined
          ? form.get('client_secret') !== app.secret
          : !this.assertionOk(app, form, url)
      )
        return deny('AADSTS7000215: Invalid client secret provided.');
      const token = randomBytes(24).toString('base64url');
      this.tokens.set(token, app.clientId);
      return json(res, 200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token,
      });
    }
    json(res, 404, { error: 'not_found', error_description: `${req.method} ${url.pathname}` });
  }

  /** A certificate credential's client assertion: a JWT signed with the certificate's key, for this token endpoint. */
  private assertionOk(app: App, form: URLSearchParams, url: URL): boolean {
    const assertion = form.get('client_assertion');
    if (!app.certificate || !assertion) return false;
    const [header, payload, signature] = assertion.split('.');
    if (!header || !payload || !signature) return false;
    const alg = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg: string }).alg;
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${header}.${payload}`);
    const padding = alg === 'PS256' ? { padding: 6, saltLength: 32 } : {};
    if (!verifier.verify({ key: app.certificate.publicKey, ...padding }, Buffer.from(signature, 'base64url')))
      return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { aud: string; sub: string };
    return claims.sub === app.clientId && claims.aud === `${this.authorityHost}${url.pathname}`;
  }
}

type WireBundle = Omit<SecretBundle, 'attributes' | 'kid' | 'managed' | 'previousVersion'> & {
  attributes: Record<string, number | boolean | string>;
};
type WireItem = Omit<SecretItem, 'attributes' | 'managed'> & {
  attributes: Record<string, number | boolean | string>;
};
/** An error body as the service writes it (`innererror`, lower case, is its wire name). */
interface WireError {
  error: { code: string; message: string; innererror?: { code: string } };
}

/** The SDK model a wire Set Secret body came from, so its serialiser can say which fields it writes. */
function modelOfSet(wire: WireSet): SecretSetParameters {
  return {
    value: wire.value,
    tags: wire.tags,
    contentType: wire.contentType,
    secretAttributes: wire.attributes
      ? {
          enabled: wire.attributes.enabled,
          notBefore: wire.attributes.nbf ? new Date(wire.attributes.nbf * 1000) : undefined,
          expires: wire.attributes.exp ? new Date(wire.attributes.exp * 1000) : undefined,
        }
      : undefined,
  };
}

function modelOfUpdate(wire: WireUpdate): SecretUpdateParameters {
  const { value: _value, ...rest } = modelOfSet({ value: '', ...wire });
  return rest;
}

/** The keys of `wire` (deeply) are those the SDK's own (de)serialiser gives: no field it does not know, none it drops. */
function expectSameKeys(wire: object, sdk: object, what: string): void {
  const keys = (o: object, prefix = ''): string[] =>
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .flatMap(([k, v]) =>
        v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && k !== 'tags'
          ? keys(v as object, `${prefix}${k}.`)
          : [`${prefix}${k}`],
      )
      .sort();
  const [a, b] = [keys(wire), keys(sdk)];
  if (JSON.stringify(a) !== JSON.stringify(b))
    throw new Error(`${what}: fields ${a.join(',')} are not the SDK's ${b.join(',')}`);
}

/** The SDK's deserialiser renames fields (exp → expires): it must keep as many as the wire has. */
function expectNoneDropped(wire: object, sdk: object, what: string): void {
  const leaves = (o: object): number =>
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .reduce(
        (n, [k, v]) =>
          n +
          (v !== null && typeof v === 'object' && !(v instanceof Date) && k !== 'tags'
            ? leaves(v as object)
            : 1),
        0,
      );
  if (leaves(wire) !== leaves(sdk))
    throw new Error(
      `${what}: the SDK reads ${leaves(sdk)} of its ${leaves(wire)} fields (${JSON.stringify(wire)})`,
    );
}

function operationOf(method: string, rest: string | undefined): KeyVaultOperation | undefined {
  if (method === 'PUT' && rest === undefined) return 'setSecret';
  if (method === 'GET' && rest === 'versions') return 'getSecretVersions';
  if (method === 'GET') return 'getSecret';
  if (method === 'PATCH' && rest) return 'updateSecret';
  return undefined;
}

function vaultError(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { error: { code, message } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (
    status >= 400 &&
    typeof body === 'object' &&
    body !== null &&
    'error' in body &&
    typeof body.error === 'object'
  ) {
    // The SDK reads error bodies with this deserialiser: the fake's must survive it.
    const read: KeyVaultError = keyVaultErrorDeserializer(body);
    if (!read.error?.code) throw new Error('error body without a code');
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let lookupPatched = false;

/**
 * Makes this test process trust the fake's certificate (added to Node's default CA list, beside
 * Mozilla's: TLS verification stays on) and resolve `*.localhost` names to 127.0.0.1, since
 * the SDK accepts a challenge's resource only for a vault host that ends with `.<resource host>`,
 * which no IP address does. Test only: the product never does either.
 */
export function trustKeyVaultFake(fake: KeyVaultFake): void {
  // Node 24's API (v24.5+), newer than the @types/node the project has.
  const nodeTls = tls as unknown as {
    getCACertificates(kind: 'default'): string[];
    setDefaultCACertificates(certs: string[]): void;
  };
  nodeTls.setDefaultCACertificates([...nodeTls.getCACertificates('default'), fake.caPem]);
  if (lookupPatched) return;
  lookupPatched = true;
  const original = dns.lookup.bind(dns);
  const patched = (hostname: string, options: unknown, callback?: unknown): void => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
    if (hostname.endsWith('.localhost')) {
      if (opts.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
      else cb(null, '127.0.0.1', 4);
      return;
    }
    (original as (...args: unknown[]) => void)(hostname, options, callback);
  };
  (dns as { lookup: unknown }).lookup = patched;
}
