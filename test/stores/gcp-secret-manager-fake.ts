/**
 * A FAKE of Google Cloud Secret Manager (not a server of Google's): no emulator can be had here (the
 * Go module proxy refuses github.com/blackwell-systems/gcp-secret-manager-emulator, 403 "not
 * available"). It serves SecretManagerService over gRPC with TLS, from the service description
 * Google publishes and the client library ships (build/protos/protos.json), so every request the
 * library sends and every answer it reads is encoded by Google's own message definitions. What it
 * does follows Google's API reference for the calls the destination makes: versions numbered from 1
 * per secret, `latest` the newest version (FAILED_PRECONDITION when that one is disabled), version
 * aliases, the secret's etag checked on update (ABORTED on a mismatch), IAM by permission
 * (PERMISSION_DENIED "Permission 'secretmanager.versions.add' denied for resource ..."), and the
 * caller's identity taken from its self-signed service account JWT.
 */
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { selfSignedCertificate } from '../support/self-signed-certificate.js';

const require = createRequire(import.meta.url);

/** Google's published description of the service, as the client library ships it. */
export const PUBLISHED_PROTOS = require.resolve('@google-cloud/secret-manager/build/protos/protos.json');

interface FakeVersion {
  number: number;
  data: Buffer;
  state: 'ENABLED' | 'DISABLED' | 'DESTROYED';
}

interface FakeSecret {
  labels: Record<string, string>;
  versionAliases: Record<string, number>;
  etagSerial: number;
  versions: FakeVersion[];
}

/** What the tests see of a secret: its versions in order, with value, state and aliases. */
export interface SecretView {
  labels: Record<string, string>;
  versions: { value: string; state: string; aliases: string[] }[];
}

/**
 * A request of the calls the fake answers, as proto-loader decodes it (camelCase, longs as
 * strings, absent scalars as their defaults, absent messages as null).
 */
interface FakeRequest {
  name: string;
  parent: string;
  secretId: string;
  secret: {
    name: string;
    labels: Record<string, string>;
    versionAliases: Record<string, string>;
    etag: string;
    replication: { automatic: object | null; userManaged: object | null } | null;
  } | null;
  updateMask: { paths: string[] } | null;
  payload: { data: Buffer } | null;
  filter: string;
}

type Handler = (
  call: grpc.ServerUnaryCall<FakeRequest, unknown>,
  callback: grpc.sendUnaryData<unknown>,
) => void;

interface LoadedProtos {
  google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } } };
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

export class SecretManagerFake {
  private readonly secrets = new Map<string, FakeSecret>();
  /** Permissions per service account e-mail; an identity not listed may do anything. */
  private readonly grants = new Map<string, Set<string>>();
  /** Calls (method names) whose next reply is lost after the call took effect. */
  private readonly lostReplies = new Set<string>();
  /** What another writer does just before the next call of a method. */
  private readonly interleaved = new Map<string, () => void>();
  readonly calls: string[] = [];

  private constructor(
    private readonly server: grpc.Server,
    /** `https://127.0.0.1:<port>`: a destination's `endpoint`. */
    readonly endpoint: string,
    /** The PEM of the certificate the fake serves: the test trusts it (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH). */
    readonly caFile: string,
  ) {}

  static async start(caFile: string): Promise<SecretManagerFake> {
    // A certificate for 127.0.0.1, which the client checks like any other: TLS stays on.
    const { keyFile: key } = selfSignedCertificate({
      commonName: '127.0.0.1',
      altNames: ['IP:127.0.0.1', 'DNS:localhost'],
      certFile: caFile,
    });
    const definition = protoLoader.fromJSON(JSON.parse(readFileSync(PUBLISHED_PROTOS, 'utf8')), {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as LoadedProtos;
    const service = loaded.google.cloud.secretmanager.v1.SecretManagerService.service;
    const server = new grpc.Server();
    const bound: { fake?: SecretManagerFake } = {};
    const handlers: Record<string, Handler> = {};
    for (const method of Object.keys(service)) {
      handlers[method] = (call, callback) => bound.fake!.handle(method, call, callback);
    }
    server.addService(service, handlers);
    const credentials = grpc.ServerCredentials.createSsl(
      null,
      [{ private_key: readFileSync(key), cert_chain: readFileSync(caFile) }],
      false,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    bound.fake = new SecretManagerFake(server, `https://127.0.0.1:${port}`, caFile);
    return bound.fake;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** Lets `email` do only `permissions` (e.g. secretmanager.versions.access). */
  grant(email: string, permissions: string[]): void {
    this.grants.set(email, new Set(permissions));
  }

  /** The next `method` call (e.g. AddSecretVersion) takes effect, then its reply is lost (UNAVAILABLE). */
  loseNextReply(method: string): void {
    this.lostReplies.add(method);
  }

  /** Runs `writer` (another writer's change) just before the next `method` call is answered. */
  beforeNext(method: string, writer: () => void): void {
    this.interleaved.set(method, writer);
  }

  /** Adds a version as another writer would (no IAM check). */
  addVersion(name: string, value: string): void {
    const secret = this.secret(name);
    secret.versions.push({ number: secret.versions.length + 1, data: Buffer.from(value), state: 'ENABLED' });
  }

  /** Changes the secret's labels as another writer would: its etag changes. */
  relabel(name: string, labels: Record<string, string>): void {
    const secret = this.secret(name);
    secret.labels = labels;
    secret.etagSerial += 1;
  }

  /** Puts a secret with one enabled version holding `value` (test set-up, as an administrator would). */
  seed(name: string, value: string, labels: Record<string, string> = {}): void {
    this.secrets.set(name, {
      labels,
      versionAliases: {},
      etagSerial: 1,
      versions: [{ number: 1, data: Buffer.from(value), state: 'ENABLED' }],
    });
  }

  view(name: string): SecretView | undefined {
    const secret = this.secrets.get(name);
    if (!secret) return undefined;
    return {
      labels: secret.labels,
      versions: secret.versions.map((v) => ({
        value: v.data.toString('utf8'),
        state: v.state,
        aliases: Object.entries(secret.versionAliases)
          .filter(([, n]) => n === v.number)
          .map(([alias]) => alias),
      })),
    };
  }

  private handle(
    method: string,
    call: grpc.ServerUnaryCall<FakeRequest, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): void {
    this.calls.push(method);
    try {
      const identity = callerOf(call.metadata);
      const writer = this.interleaved.get(method);
      this.interleaved.delete(method);
      writer?.();
      const reply = this.answer(method, call.request, identity);
      if (this.lostReplies.delete(method)) {
        callback({ code: grpc.status.UNAVAILABLE, details: 'connection reset (the fake lost this reply)' });
        return;
      }
      callback(null, reply);
    } catch (err) {
      if (err instanceof RpcError) callback({ code: err.code, details: err.message });
      else callback({ code: grpc.status.INTERNAL, details: String(err) });
    }
  }

  private answer(method: string, request: FakeRequest, identity: string): unknown {
    switch (method) {
      case 'GetSecret': {
        this.check(identity, 'secretmanager.secrets.get', request.name);
        return this.secretMessage(request.name, this.secret(request.name));
      }
      case 'CreateSecret': {
        const name = `${request.parent}/secrets/${request.secretId}`;
        this.check(identity, 'secretmanager.secrets.create', request.parent);
        if (!/^[A-Za-z0-9_-]{1,255}$/.test(request.secretId))
          throw new RpcError(grpc.status.INVALID_ARGUMENT, 'Invalid secret id');
        if (!request.secret?.replication?.automatic && !request.secret?.replication?.userManaged)
          throw new RpcError(grpc.status.INVALID_ARGUMENT, 'Replication policy is required');
        if (this.secrets.has(name))
          throw new RpcError(grpc.status.ALREADY_EXISTS, `Secret [${name}] already exists.`);
        const secret: FakeSecret = {
          labels: { ...request.secret.labels },
          versionAliases: {},
          etagSerial: 1,
          versions: [],
        };
        this.secrets.set(name, secret);
        return this.secretMessage(name, secret);
      }
      case 'UpdateSecret': {
        if (!request.secret) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'secret is required');
        const name = request.secret.name;
        this.check(identity, 'secretmanager.secrets.update', name);
        const secret = this.secret(name);
        if (request.secret.etag && request.secret.etag !== etagOf(secret))
          throw new RpcError(
            grpc.status.ABORTED,
            'The etag provided in the request does not match the current etag.',
          );
        const paths: string[] = request.updateMask?.paths ?? [];
        if (paths.length === 0) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'update_mask is required');
        for (const path of paths) {
          if (path === 'labels') secret.labels = { ...request.secret.labels };
          else if (path === 'version_aliases') {
            const aliases: Record<string, number> = {};
            for (const [alias, n] of Object.entries(request.secret.versionAliases ?? {})) {
              const number = Number(n);
              if (!secret.versions.some((v) => v.number === number && v.state !== 'DESTROYED'))
                throw new RpcError(
                  grpc.status.INVALID_ARGUMENT,
                  `Alias ${alias} points at no version ${number}`,
                );
              aliases[alias] = number;
            }
            secret.versionAliases = aliases;
          } else throw new RpcError(grpc.status.INVALID_ARGUMENT, `the fake does not update ${path}`);
        }
        secret.etagSerial += 1;
        return this.secretMessage(name, secret);
      }
      case 'AddSecretVersion': {
        this.check(identity, 'secretmanager.versions.add', request.parent);
        const secret = this.secret(request.parent);
        const data = Buffer.from(request.payload?.data ?? []);
        if (data.length > 65536)
          throw new RpcError(grpc.status.INVALID_ARGUMENT, 'payload larger than 64 KiB');
        const version: FakeVersion = { number: secret.versions.length + 1, data, state: 'ENABLED' };
        // A version is a resource of its own: the secret (and so its etag) is unchanged.
        secret.versions.push(version);
        return this.versionMessage(request.parent, version);
      }
      case 'AccessSecretVersion': {
        const [secretName, selector] = splitVersionName(request.name);
        this.check(identity, 'secretmanager.versions.access', request.name);
        const secret = this.secret(secretName);
        const version = this.resolve(secretName, secret, selector);
        if (version.state !== 'ENABLED')
          throw new RpcError(
            grpc.status.FAILED_PRECONDITION,
            `Secret Version [${secretName}/versions/${version.number}] is in ${version.state} state.`,
          );
        return { name: `${secretName}/versions/${version.number}`, payload: { data: version.data } };
      }
      case 'ListSecretVersions': {
        this.check(identity, 'secretmanager.versions.list', request.parent);
        const secret = this.secret(request.parent);
        // The filters the reference documents for versions, of which the fake knows `state:<STATE>`.
        const state = /^state:([A-Z]+)$/.exec(request.filter)?.[1];
        if (request.filter !== '' && !state)
          throw new RpcError(grpc.status.INVALID_ARGUMENT, `the fake does not filter by ${request.filter}`);
        // Newest first, as the service lists them; one page.
        const versions = [...secret.versions]
          .reverse()
          .filter((v) => state === undefined || v.state === state)
          .map((v) => this.versionMessage(request.parent, v));
        return { versions, nextPageToken: '', totalSize: versions.length };
      }
      case 'GetSecretVersion': {
        const [secretName, selector] = splitVersionName(request.name);
        this.check(identity, 'secretmanager.versions.get', request.name);
        const secret = this.secret(secretName);
        return this.versionMessage(secretName, this.resolve(secretName, secret, selector));
      }
      case 'EnableSecretVersion':
      case 'DisableSecretVersion':
      case 'DestroySecretVersion': {
        const [secretName, selector] = splitVersionName(request.name);
        const verb = method.replace('SecretVersion', '').toLowerCase();
        this.check(identity, `secretmanager.versions.${verb}`, request.name);
        const secret = this.secret(secretName);
        const version = this.resolve(secretName, secret, selector);
        if (version.state === 'DESTROYED')
          throw new RpcError(
            grpc.status.FAILED_PRECONDITION,
            `Secret Version [${request.name}] is destroyed.`,
          );
        version.state = verb === 'enable' ? 'ENABLED' : verb === 'disable' ? 'DISABLED' : 'DESTROYED';
        if (version.state === 'DESTROYED') version.data = Buffer.alloc(0);
        return this.versionMessage(secretName, version);
      }
    }
    throw new RpcError(grpc.status.UNIMPLEMENTED, `the fake does not implement ${method}`);
  }

  /** IAM as Google answers it: the permission, the resource, and "(or it may not exist)". */
  private check(identity: string, permission: string, resource: string): void {
    const granted = this.grants.get(identity);
    if (granted && !granted.has(permission))
      throw new RpcError(
        grpc.status.PERMISSION_DENIED,
        `Permission '${permission}' denied for resource '${resource}' (or it may not exist).`,
      );
  }

  private secret(name: string): FakeSecret {
    const secret = this.secrets.get(name);
    if (!secret) throw new RpcError(grpc.status.NOT_FOUND, `Secret [${name}] not found or has no versions.`);
    return secret;
  }

  private resolve(secretName: string, secret: FakeSecret, selector: string): FakeVersion {
    const number =
      selector === 'latest'
        ? secret.versions.length
        : /^\d+$/.test(selector)
          ? Number(selector)
          : secret.versionAliases[selector];
    const version = number === undefined ? undefined : secret.versions[number - 1];
    if (!version)
      throw new RpcError(
        grpc.status.NOT_FOUND,
        `Secret Version [${secretName}/versions/${selector}] not found.`,
      );
    return version;
  }

  private secretMessage(name: string, secret: FakeSecret): unknown {
    return {
      name,
      replication: { automatic: {} },
      labels: secret.labels,
      versionAliases: Object.fromEntries(
        Object.entries(secret.versionAliases).map(([a, n]) => [a, String(n)]),
      ),
      etag: etagOf(secret),
    };
  }

  private versionMessage(secretName: string, version: FakeVersion): unknown {
    return {
      name: `${secretName}/versions/${version.number}`,
      state: version.state,
      etag: `"v${version.number}"`,
    };
  }
}

function etagOf(secret: FakeSecret): string {
  return `"${secret.etagSerial.toString(16).padStart(12, '0')}"`;
}

function splitVersionName(name: string): [string, string] {
  const match = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(name ?? '');
  if (!match)
    throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid resource field value in the request: ${name}`);
  return [match[1]!, match[2]!];
}

/** The service account e-mail of the caller's self-signed JWT (its `iss`); UNAUTHENTICATED without one. */
function callerOf(metadata: grpc.Metadata): string {
  const header = String(metadata.get('authorization')[0] ?? '');
  const token = /^Bearer (.+)$/.exec(header)?.[1];
  const payload = token?.split('.')[1];
  if (!payload)
    throw new RpcError(grpc.status.UNAUTHENTICATED, 'Request is missing required authentication credential.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown };
  if (typeof claims.iss !== 'string')
    throw new RpcError(grpc.status.UNAUTHENTICATED, 'Request had invalid authentication credentials.');
  return claims.iss;
}

/**
 * A service account key file as Google issues one (a fresh RSA key, never used anywhere else): the
 * library signs its own JWTs with it, so no token endpoint is asked.
 */
export function writeServiceAccountKey(
  dir: string,
  name: string,
  project = 'acme-test',
): { file: string; email: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const email = `${name}@${project}.iam.gserviceaccount.com`;
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      type: 'service_account',
      project_id: project,
      private_key_id: `${name}-key`,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: email,
      client_id: '100000000000000000001',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      universe_domain: 'googleapis.com',
    }),
    { mode: 0o600 },
  );
  return { file, email };
}
