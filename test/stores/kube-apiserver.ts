/**
 * A real Kubernetes API server for the Kubernetes destination tests: etcd and kube-apiserver
 * (built by scripts/ensure-go-test-servers.sh into .tools/bin) on 127.0.0.1 free ports, their data
 * and certificates in a mkdtemp folder, a bounded start-up poll, both stopped by PID.
 *
 * Who may do what: static tokens for `admin` (system:masters, for setting up) and for
 * `writer` and `restricted` (no rights until a test binds a Role), client certificates signed by
 * the test CA (CN = user, O = group), RBAC authorisation. No controller-manager runs, so
 * Deployments never roll by themselves: tests write their status through the status subresource.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { findFreePort, startServerProcess, type ServerProcess } from '../support/net.js';
import { goTestServer } from '../support/temporal-server.js';

export interface KubeApiServer {
  /** e.g. https://127.0.0.1:40123 */
  server: string;
  /** PEM of the CA that signed the server's and the clients' certificates. */
  caPem: string;
  /** Static bearer tokens by user: admin (system:masters), writer, restricted. */
  tokens: { admin: string; writer: string; restricted: string };
  /** The temporary folder holding data, certificates and kubeconfigs. */
  dir: string;
  /** A client certificate and key for `user` in `group`, signed by the test CA. */
  clientCertificate(user: string, group?: string): { certPem: string; keyPem: string };
  /** Writes a kubeconfig with one context (named `context`) for the given credentials; returns its path. */
  writeKubeconfig(options: KubeconfigOptions): Promise<string>;
  /** A request as `admin` (or `token`); throws on a status outside 2xx unless `allowStatus` lists it. */
  api(method: string, apiPath: string, body?: unknown, options?: ApiOptions): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

export interface KubeconfigOptions {
  /** @default "test" */
  context?: string;
  /** @default the server */
  server?: string;
  token?: string;
  tokenFile?: string;
  clientCertificate?: { certPem: string; keyPem: string };
  /** @default true: the CA inline; false leaves it out (the system roots then fail to verify). */
  includeCa?: boolean;
  /** Extra user fields (e.g. an exec plugin) for refusal tests. */
  extraUser?: Record<string, unknown>;
  /** Extra cluster fields (e.g. insecure-skip-tls-verify). */
  extraCluster?: Record<string, unknown>;
  /** File name inside the server's folder. @default "kubeconfig-<random>.yaml" */
  fileName?: string;
}

export interface ApiOptions {
  token?: string;
  /** @default "application/json" */
  contentType?: string;
  allowStatus?: number[];
}

export interface ApiAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read Kubernetes objects freely
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface KubeApiServerOptions {
  /** @default 60000 */
  startTimeoutMs?: number;
}

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const etcdBinary = goTestServer('etcd');
  const apiServerBinary = goTestServer('kube-apiserver');
  const dir = await mkdtemp(path.join(tmpdir(), 'kube-apiserver-'));
  const processes: ServerProcess[] = [];
  const stop = async () => {
    for (const p of processes.reverse()) await p.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Certificates: one CA signs the serving certificate (127.0.0.1) and the client certificates.
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '2',
        '-subj',
        '/CN=key-rotator-test-ca',
      ],
      dir,
    );
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'server.key',
        '-out',
        'server.csr',
        '-subj',
        '/CN=kube-apiserver',
      ],
      dir,
    );
    await writeFile(
      path.join(dir, 'server.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n',
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'server.crt',
        '-days',
        '2',
        '-extfile',
        'server.ext',
      ],
      dir,
    );
    const caPem = await readFile(path.join(dir, 'ca.crt'), 'utf8');

    const serviceAccountKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(
      path.join(dir, 'sa.key'),
      serviceAccountKey.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    await writeFile(
      path.join(dir, 'sa.pub'),
      serviceAccountKey.publicKey.export({ type: 'spki', format: 'pem' }),
    );

    const tokens = {
      admin: `admin-${randomBytes(16).toString('hex')}`,
      writer: `writer-${randomBytes(16).toString('hex')}`,
      restricted: `restricted-${randomBytes(16).toString('hex')}`,
    };
    await writeFile(
      path.join(dir, 'tokens.csv'),
      [
        `${tokens.admin},admin,uid-admin,"system:masters"`,
        `${tokens.writer},writer,uid-writer`,
        `${tokens.restricted},restricted,uid-restricted`,
      ].join('\n') + '\n',
    );

    const [etcdClientPort, etcdPeerPort, securePort] = [
      await findFreePort(),
      await findFreePort(),
      await findFreePort(),
    ];
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    processes.push(
      await startServerProcess({
        binary: etcdBinary,
        args: [
          '--name=test',
          `--data-dir=${path.join(dir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=test=${peerUrl}`,
          '--log-level=error',
        ],
        ready: async () => (await fetch(`${etcdUrl}/health`)).ok,
        what: `etcd at ${etcdUrl}`,
      }),
    );

    const server = `https://127.0.0.1:${securePort}`;
    const api = async (
      method: string,
      apiPath: string,
      body?: unknown,
      opts: ApiOptions = {},
    ): Promise<ApiAnswer> => {
      const answer = await httpsJson(
        server,
        caPem,
        opts.token ?? tokens.admin,
        method,
        apiPath,
        body,
        opts.contentType,
      );
      if ((answer.status < 200 || answer.status > 299) && !opts.allowStatus?.includes(answer.status)) {
        throw new Error(`${method} ${apiPath}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      return answer;
    };
    processes.push(
      await startServerProcess({
        binary: apiServerBinary,
        args: [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${securePort}`,
          '--endpoint-reconciler-type=none',
          `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
          `--client-ca-file=${path.join(dir, 'ca.crt')}`,
          `--tls-cert-file=${path.join(dir, 'server.crt')}`,
          `--tls-private-key-file=${path.join(dir, 'server.key')}`,
          `--cert-dir=${path.join(dir, 'certs')}`,
          '--authorization-mode=RBAC',
          '--service-account-issuer=https://kubernetes.default.svc',
          `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
          `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
          '--service-cluster-ip-range=10.96.0.0/24',
          '--anonymous-auth=false',
          '--v=0',
        ],
        ready: async () => (await api('GET', '/readyz', undefined, { allowStatus: [500] })).status === 200,
        what: `kube-apiserver at ${server}`,
        startTimeoutMs: options.startTimeoutMs ?? 60_000,
      }),
    );

    return {
      server,
      caPem,
      tokens,
      dir,
      clientCertificate(user, group) {
        const name = `client-${randomBytes(4).toString('hex')}`;
        openssl(
          [
            'req',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-keyout',
            `${name}.key`,
            '-out',
            `${name}.csr`,
            '-subj',
            `/CN=${user}${group ? `/O=${group}` : ''}`,
          ],
          dir,
        );
        openssl(
          [
            'x509',
            '-req',
            '-in',
            `${name}.csr`,
            '-CA',
            'ca.crt',
            '-CAkey',
            'ca.key',
            '-CAcreateserial',
            '-out',
            `${name}.crt`,
            '-days',
            '2',
          ],
          dir,
        );
        return {
          certPem: readFileSync(path.join(dir, `${name}.crt`), 'utf8'),
          keyPem: readFileSync(path.join(dir, `${name}.key`), 'utf8'),
        };
      },
      async writeKubeconfig(o) {
        const context = o.context ?? 'test';
        const b64 = (s: string) => Buffer.from(s).toString('base64');
        const user: Record<string, unknown> = {
          ...(o.token ? { token: o.token } : {}),
          ...(o.tokenFile ? { tokenFile: o.tokenFile } : {}),
          ...(o.clientCertificate
            ? {
                'client-certificate-data': b64(o.clientCertificate.certPem),
                'client-key-data': b64(o.clientCertificate.keyPem),
              }
            : {}),
          ...o.extraUser,
        };
        const file = path.join(dir, o.fileName ?? `kubeconfig-${randomBytes(4).toString('hex')}.yaml`);
        await writeFile(
          file,
          toYaml({
            apiVersion: 'v1',
            kind: 'Config',
            'current-context': context,
            clusters: [
              {
                name: 'test-cluster',
                cluster: {
                  server: o.server ?? server,
                  ...(o.includeCa === false ? {} : { 'certificate-authority-data': b64(caPem) }),
                  ...o.extraCluster,
                },
              },
            ],
            users: [{ name: 'test-user', user }],
            contexts: [{ name: context, context: { cluster: 'test-cluster', user: 'test-user' } }],
          }),
        );
        return file;
      },
      api,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One JSON request to the test server, verified against its CA. */
function httpsJson(
  server: string,
  caPem: string,
  token: string,
  method: string,
  apiPath: string,
  body: unknown,
  contentType = 'application/json',
): Promise<ApiAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(apiPath, server),
      {
        method,
        ca: caPem,
        agent: false,
        signal: AbortSignal.timeout(10_000),
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': contentType }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // /readyz answers plain text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
