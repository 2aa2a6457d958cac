/**
 * How kubectl finds the Kubernetes API server and its credentials, done the same way here: the
 * pod's in-cluster service account, or one context of a kubeconfig.
 *
 * Supported kubeconfig credentials: a bearer token (`token`, `tokenFile`) and a client certificate
 * (`client-certificate(-data)`, `client-key(-data)`); the CA from `certificate-authority(-data)`,
 * else the system roots. Refused with a ConfigError: `insecure-skip-tls-verify` (the server must be
 * verified), `exec` and `auth-provider` plugins (a kubeconfig must not make the worker run
 * programs), basic auth. Files a kubeconfig names are read through the same worker-policy check as
 * any `{file}` credential.
 */
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../errors/rotator-errors.js';
import { registerSecret } from '../../errors/redact.js';
import { resolveSecretRef, type SecretRefDeps } from '../../fields/secret-ref.js';
import { normaliseBaseUrl } from '../../fields/url-rules.js';
import { SERVICE_ACCOUNT_DIR } from './policy.js';
import type { KubernetesSecretDestinationConfig } from './schema.js';

/** Where and how to reach one API server; credentials stay in memory, never in messages. */
export interface KubeConnection {
  /** Base URL requests go to, e.g. https://10.96.0.1:443 (a path prefix is kept). */
  server: string;
  /** PEM CA bundle that verifies the server; undefined = the system roots. */
  ca?: string;
  /** Name to verify the server certificate against instead of the URL's host. */
  tlsServerName?: string;
  /** Bearer token; a function so a rotated token file is re-read for each request. */
  token?: () => string;
  clientCertificate?: string;
  clientKey?: string;
}

export interface KubeClientDeps extends SecretRefDeps {
  /** Folder of the pod's service-account token and CA. @default /var/run/secrets/kubernetes.io/serviceaccount */
  serviceAccountDir?: string;
  /** Per-request time limit. @default 30000 */
  requestTimeoutMs?: number;
}

const clusterSchema = z
  .object({
    server: z.string(),
    'certificate-authority': z.string().optional(),
    'certificate-authority-data': z.string().optional(),
    'insecure-skip-tls-verify': z.boolean().optional(),
    'tls-server-name': z.string().optional(),
    'proxy-url': z.string().optional(),
  })
  .loose();

const userSchema = z
  .object({
    token: z.string().optional(),
    tokenFile: z.string().optional(),
    'client-certificate': z.string().optional(),
    'client-certificate-data': z.string().optional(),
    'client-key': z.string().optional(),
    'client-key-data': z.string().optional(),
    exec: z.unknown().optional(),
    'auth-provider': z.unknown().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
  })
  .loose();

const kubeconfigSchema = z
  .object({
    'current-context': z.string().optional(),
    clusters: z.array(z.object({ name: z.string(), cluster: clusterSchema }).loose()).default([]),
    users: z
      .array(z.object({ name: z.string(), user: userSchema.nullish() }).loose())
      .nullish()
      .transform((users) => users ?? []),
    contexts: z
      .array(
        z
          .object({
            name: z.string(),
            context: z.object({ cluster: z.string(), user: z.string().optional() }).loose(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

/**
 * The connection `config` names. Reads the credentials now (call it at the first request, never
 * in a constructor).
 * @throws ConfigError when the kubeconfig or the pod environment is incomplete or asks for
 * something refused; PolicyViolationError when a file it names is outside the policy.
 */
export function resolveConnection(
  config: KubernetesSecretDestinationConfig,
  description: string,
  deps: KubeClientDeps,
): KubeConnection {
  return config.auth.method === 'kubeconfig'
    ? fromKubeconfig(config.auth, description, deps)
    : inCluster(description, deps);
}

function inCluster(description: string, deps: KubeClientDeps): KubeConnection {
  const env = deps.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) {
    throw new ConfigError(
      `${description}: KUBERNETES_SERVICE_HOST is not set, so the worker is not running in a Kubernetes pod; ` +
        'use auth.method "kubeconfig" outside a cluster',
    );
  }
  const dir = deps.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const tokenRef = { file: path.join(dir, 'token') };
  const readToken = () => resolveSecretRef(tokenRef, `the service-account token for ${description}`, deps);
  readToken(); // fail now, with the policy's verdict, rather than at the first request
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: resolveSecretRef(
      { file: path.join(dir, 'ca.crt') },
      `the cluster CA certificate for ${description}`,
      deps,
    ),
    // kubelet rotates projected tokens in place: re-read for every request, as client-go does.
    token: readToken,
  };
}

function fromKubeconfig(
  auth: Extract<KubernetesSecretDestinationConfig['auth'], { method: 'kubeconfig' }>,
  description: string,
  deps: KubeClientDeps,
): KubeConnection {
  const text = resolveSecretRef(auth.kubeconfig, `the kubeconfig for ${description}`, deps);
  const where = auth.kubeconfig.file ?? `environment variable ${auth.kubeconfig.env}`;
  const bad = (what: string) => new ConfigError(`${description}: the kubeconfig (${where}) ${what}`);
  let parsedYaml: unknown;
  try {
    parsedYaml = parseYaml(text);
  } catch {
    throw bad('is not valid YAML');
  }
  const parsed = kubeconfigSchema.safeParse(parsedYaml);
  if (!parsed.success) throw bad('is not a kubeconfig (expected clusters, users and contexts lists)');
  const kubeconfig = parsed.data;
  const contextName = auth.context ?? kubeconfig['current-context'];
  if (!contextName) throw bad('has no current-context; set auth.context');
  const context = kubeconfig.contexts.find((c) => c.name === contextName)?.context;
  if (!context) throw bad(`has no context "${contextName}"`);
  const cluster = kubeconfig.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw bad(`has no cluster "${context.cluster}" (named by context "${contextName}")`);
  const user = kubeconfig.users.find((u) => u.name === context.user)?.user ?? {};

  if (normaliseBaseUrl(cluster.server) !== normaliseBaseUrl(auth.server)) {
    throw bad(
      `points context "${contextName}" at ${cluster.server}, but auth.server says ${auth.server}; ` +
        'they must agree so the worker policy checks where the credentials go',
    );
  }
  if (cluster['insecure-skip-tls-verify']) {
    throw bad(
      `sets insecure-skip-tls-verify for cluster "${context.cluster}"; the server must be verified: give its CA`,
    );
  }
  if (cluster['proxy-url'])
    throw bad(`sets proxy-url for cluster "${context.cluster}", which is not supported`);
  if (user.exec !== undefined || user['auth-provider'] !== undefined) {
    throw bad(
      `uses an exec or auth-provider plugin for user "${context.user}"; the worker does not run programs a ` +
        'kubeconfig names: give a service-account token (token or tokenFile) or a client certificate',
    );
  }
  if (user.username !== undefined || user.password !== undefined) {
    throw bad(`uses basic auth for user "${context.user}", which Kubernetes no longer supports`);
  }

  // Files a kubeconfig names are relative to its own folder (kubectl's rule).
  const base = auth.kubeconfig.file
    ? path.dirname(path.resolve(deps.cwd ?? process.cwd(), auth.kubeconfig.file))
    : deps.cwd;
  const readFile = (file: string, what: string) =>
    resolveSecretRef({ file: path.resolve(base ?? process.cwd(), file) }, `${what} for ${description}`, deps);
  const inlineOrFile = (data: string | undefined, file: string | undefined, what: string) => {
    if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
    return file !== undefined ? readFile(file, what) : undefined;
  };

  const clientCertificate = inlineOrFile(
    user['client-certificate-data'],
    user['client-certificate'],
    'the client certificate',
  );
  const clientKey = inlineOrFile(user['client-key-data'], user['client-key'], 'the client key');
  if ((clientCertificate === undefined) !== (clientKey === undefined)) {
    throw bad(
      `gives user "${context.user}" a client certificate without its key, or a key without its certificate`,
    );
  }
  registerSecret(clientKey);
  const token = user.token;
  const tokenFile = user.tokenFile;
  if (token === undefined && tokenFile === undefined && clientCertificate === undefined) {
    throw bad(
      `gives user "${context.user ?? '(none)'}" no credentials (token, tokenFile or client certificate)`,
    );
  }
  registerSecret(token);
  /** Read now (the policy's verdict before any request), and again for each request: it may be rotated. */
  const readTokenFile = (file: string) => {
    readFile(file, 'the token file');
    return () => readFile(file, 'the token file');
  };
  return {
    server: cluster.server,
    ca: inlineOrFile(
      cluster['certificate-authority-data'],
      cluster['certificate-authority'],
      'the cluster CA certificate',
    ),
    tlsServerName: cluster['tls-server-name'],
    token: token !== undefined ? () => token : tokenFile !== undefined ? readTokenFile(tokenFile) : undefined,
    clientCertificate,
    clientKey,
  };
}
