/**
 * An in-repo fake of the Vercel REST endpoints the `vercel-env` destination uses, written from
 * Vercel's REST API reference (vercel.com/docs/rest-api; no Vercel server can run here):
 *
 * - `POST /v10/projects/{idOrName}/env` (`upsert=true`): one object or an array of
 *   `{key, value, type, target, comment?}`; answers 201 `{created, failed}` — refusals (an existing key
 *   without upsert, `sensitive` for development) come back in `failed` with status 201, as Vercel does;
 * - `GET /v10/projects/{idOrName}/env` → `{envs: [...]}` (values never in clear there);
 * - `GET /v1/projects/{idOrName}/env/{id}` → the variable with `decrypted: true` and its `value`
 *   for `encrypted`, `decrypted: false` and no value for `sensitive`;
 * - `GET /v6/deployments?projectId&target=production&limit` → `{deployments: [{uid, name, created,
 *   readyState, target, ...}], pagination}`, newest first;
 * - `POST /v13/deployments` `{name, deploymentId, target}` (a redeploy) → `{id, readyState: "QUEUED"}`;
 *   `GET /v13/deployments/{id}` → `{id, readyState}`: READY once `buildMs` passed (ERROR when told);
 * - every request needs `Authorization: Bearer <token>` (else 403 `{error: {code: "forbidden",
 *   invalidToken: true}}`) and, for a team's project, `teamId` (else 404 like Vercel).
 * What could be checked: the paths, query parameters, body fields and answer fields the reference
 * lists; not checked: Vercel's exact error codes beyond those named above, rate-limit headers.
 *
 * node:http on 127.0.0.1, port 0. `startVercelFake(options)` → `{ url, stop, secrets }`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VercelFakeOptions {
  /** The one access token accepted. */
  token: string;
  /** Projects by name; `teamId` makes it a team project. Each starts with one READY production deployment. */
  projects: { name: string; teamId?: string }[];
  /** How long a redeployment takes to become READY. @default 0 */
  buildMs?: number;
  /** Clock. @default Date.now */
  now?: () => number;
}

export interface VercelFakeVariable {
  project: string;
  id: string;
  key: string;
  /** In clear: what Vercel holds. */
  value: string;
  type: string;
  target: string[];
  comment?: string;
  createdAt: number;
  updatedAt: number;
}

export interface VercelFakeDeployment {
  uid: string;
  project: string;
  created: number;
  target: 'production' | 'preview';
  readyState: 'QUEUED' | 'BUILDING' | 'READY' | 'ERROR' | 'CANCELED';
  /** The deployment this one redeploys. */
  redeployOf?: string;
}

export interface VercelFake {
  /** e.g. http://127.0.0.1:40123 — the `apiUrl` of a destination. */
  url: string;
  stop(): Promise<void>;
  /** Every environment variable, values in clear. */
  secrets(): VercelFakeVariable[];
  deployments(project: string): VercelFakeDeployment[];
  /** Every request received, in order (method, path, query). */
  requests: { method: string; path: string; query: Record<string, string> }[];
  /** Sets a variable directly (as if someone wrote it). */
  setVariable(project: string, key: string, value: string, type?: string, target?: string[]): void;
  /** The next redeployment ends in ERROR. */
  failNextDeployment(): void;
  /** Makes the next `count` requests answer `status`. */
  failNext(status: number, count?: number): void;
  /** Makes the next request answer a 307 redirect to `location`. */
  redirectNext(location: string): void;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const TARGETS = new Set(['production', 'preview', 'development']);
const TYPES = new Set(['system', 'secret', 'encrypted', 'plain', 'sensitive']);

const notFound = (message: string): Reply => ({
  status: 404,
  body: { error: { code: 'not_found', message } },
});
const badRequest = (message: string): Reply => ({
  status: 400,
  body: { error: { code: 'bad_request', message } },
});

export async function startVercelFake(options: VercelFakeOptions): Promise<VercelFake> {
  const now = options.now ?? Date.now;
  const variables: VercelFakeVariable[] = [];
  const deployments: VercelFakeDeployment[] = options.projects.map((p) => ({
    uid: `dpl_${randomBytes(8).toString('hex')}`,
    project: p.name,
    created: now() - 86_400_000,
    target: 'production',
    readyState: 'READY',
  }));
  const failures: Reply[] = [];
  let redirectTo: string | undefined;
  let failDeployment = false;

  const overlaps = (a: string[], b: string[]) => a.some((t) => b.includes(t));

  function upsert(project: string, input: Record<string, unknown>, allowUpdate: boolean) {
    const { key, value, type, target, comment } = input;
    if (
      typeof key !== 'string' ||
      typeof value !== 'string' ||
      typeof type !== 'string' ||
      !Array.isArray(target)
    ) {
      return { error: { code: 'bad_request', message: 'key, value, type and target are required', key } };
    }
    if (!TYPES.has(type) || !target.every((t) => typeof t === 'string' && TARGETS.has(t))) {
      return { error: { code: 'bad_request', message: 'invalid type or target', key } };
    }
    if (type === 'sensitive' && target.includes('development')) {
      return {
        error: {
          code: 'bad_request',
          message: 'Sensitive environment variables cannot be created in the Development environment',
          key,
        },
      };
    }
    const existing = variables.find(
      (v) => v.project === project && v.key === key && overlaps(v.target, target as string[]),
    );
    if (existing && !allowUpdate) {
      return {
        error: { code: 'ENV_ALREADY_EXISTS', message: `A variable with the name ${key} already exists`, key },
      };
    }
    const at = now();
    if (existing) {
      Object.assign(existing, {
        value,
        type,
        target: [...(target as string[])],
        comment: typeof comment === 'string' ? comment : undefined,
        updatedAt: at,
      });
      return { created: existing };
    }
    const created: VercelFakeVariable = {
      project,
      id: randomBytes(8).toString('hex'),
      key,
      value,
      type,
      target: [...(target as string[])],
      ...(typeof comment === 'string' ? { comment } : {}),
      createdAt: at,
      updatedAt: at,
    };
    variables.push(created);
    return { created };
  }

  /** A variable as Vercel lists it: never the value in clear. */
  function listed(v: VercelFakeVariable) {
    return {
      id: v.id,
      key: v.key,
      type: v.type,
      target: v.target,
      createdAt: v.createdAt,
      updatedAt: v.updatedAt,
      ...(v.comment === undefined ? {} : { comment: v.comment }),
      ...(v.type === 'sensitive' ? {} : { value: Buffer.from(randomBytes(24)).toString('base64') }),
    };
  }

  function deploymentView(d: VercelFakeDeployment) {
    return {
      uid: d.uid,
      name: d.project,
      url: `${d.project}-${d.uid.slice(4, 12)}.vercel.app`,
      created: d.created,
      createdAt: d.created,
      state: d.readyState,
      readyState: d.readyState,
      target: d.target,
      type: 'LAMBDAS',
    };
  }

  /** QUEUED → READY (or ERROR) once the build time passed. */
  function progress(d: VercelFakeDeployment & { fails?: boolean }) {
    if (
      (d.readyState === 'QUEUED' || d.readyState === 'BUILDING') &&
      now() >= d.created + (options.buildMs ?? 0)
    ) {
      d.readyState = d.fails ? 'ERROR' : 'READY';
    }
  }

  function handle(req: IncomingMessage, path: string, query: URLSearchParams, body: unknown): Reply {
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return {
        status: 403,
        body: { error: { code: 'forbidden', message: 'Not authorized', invalidToken: true } },
      };
    }
    const failure = failures.shift();
    if (failure) return failure;
    const projectOf = (idOrName: string) =>
      options.projects.find(
        (p) =>
          p.name === decodeURIComponent(idOrName) && (p.teamId ?? null) === (query.get('teamId') ?? null),
      );

    let match = /^\/v10\/projects\/([^/]+)\/env$/.exec(path);
    if (match) {
      const project = projectOf(match[1]!);
      if (!project) return notFound('Project not found');
      if (req.method === 'GET') {
        return {
          status: 200,
          body: { envs: variables.filter((v) => v.project === project.name).map(listed) },
        };
      }
      if (req.method === 'POST') {
        const inputs = Array.isArray(body) ? body : [body];
        if (!inputs.every((i) => typeof i === 'object' && i !== null))
          return badRequest('body must be an object or array');
        const results = inputs.map((i) =>
          upsert(project.name, i as Record<string, unknown>, query.get('upsert') === 'true'),
        );
        const created = results.flatMap((r) => ('created' in r && r.created ? [listed(r.created)] : []));
        const failed = results.flatMap((r) => ('error' in r ? [{ error: r.error }] : []));
        return { status: 201, body: { created: created.length === 1 ? created[0] : created, failed } };
      }
    }
    match = /^\/v1\/projects\/([^/]+)\/env\/([^/]+)$/.exec(path);
    if (match && req.method === 'GET') {
      const project = projectOf(match[1]!);
      if (!project) return notFound('Project not found');
      const variable = variables.find((v) => v.project === project.name && v.id === match![2]);
      if (!variable) return notFound('Environment Variable not found');
      const { value, ...rest } = listed(variable);
      void value;
      return {
        status: 200,
        body:
          variable.type === 'sensitive'
            ? { ...rest, decrypted: false }
            : { ...rest, value: variable.value, decrypted: true },
      };
    }
    if (path === '/v6/deployments' && req.method === 'GET') {
      const project = projectOf(query.get('projectId') ?? '');
      if (!project) return notFound('Project not found');
      const target = query.get('target');
      const limit = Number(query.get('limit') ?? 20);
      const list = deployments
        .filter((d) => d.project === project.name && (!target || d.target === target))
        .sort((a, b) => b.created - a.created);
      list.forEach(progress);
      return {
        status: 200,
        body: {
          deployments: list.slice(0, limit).map(deploymentView),
          pagination: { count: Math.min(limit, list.length), next: null, prev: null },
        },
      };
    }
    if (path === '/v13/deployments' && req.method === 'POST') {
      const input = body as { name?: string; deploymentId?: string; target?: string };
      const source = deployments.find((d) => d.uid === input.deploymentId);
      const project = source && projectOf(source.project);
      if (!source || !project) return notFound('Deployment not found');
      if (typeof input.name !== 'string') return badRequest('name is required');
      const deployment: VercelFakeDeployment & { fails?: boolean } = {
        uid: `dpl_${randomBytes(8).toString('hex')}`,
        project: source.project,
        created: now(),
        target: input.target === 'production' ? 'production' : 'preview',
        readyState: 'QUEUED',
        redeployOf: source.uid,
        fails: failDeployment,
      };
      failDeployment = false;
      deployments.push(deployment);
      const { uid, ...view } = deploymentView(deployment);
      return { status: 200, body: { ...view, id: uid } };
    }
    match = /^\/v13\/deployments\/([^/]+)$/.exec(path);
    if (match && req.method === 'GET') {
      const deployment = deployments.find((d) => d.uid === match![1]);
      if (!deployment || !projectOf(deployment.project)) return notFound('Deployment not found');
      progress(deployment);
      const { uid, ...view } = deploymentView(deployment);
      return { status: 200, body: { ...view, id: uid } };
    }
    return notFound(`no such endpoint: ${req.method} ${path}`);
  }

  const fake: VercelFake = {
    url: '',
    stop: async () => undefined,
    secrets: () => variables.map((v) => ({ ...v, target: [...v.target] })),
    deployments: (project) =>
      deployments
        .filter((d) => d.project === project)
        .map((d) => {
          progress(d);
          return { ...d };
        }),
    requests: [],
    setVariable(project, key, value, type = 'encrypted', target = ['production']) {
      upsert(project, { key, value, type, target }, true);
    },
    failNextDeployment() {
      failDeployment = true;
    },
    failNext(status, count = 1) {
      for (let i = 0; i < count; i++) {
        failures.push({
          status,
          body: { error: { code: 'internal_server_error', message: `fake failure ${status}` } },
        });
      }
    },
    redirectNext(location) {
      redirectTo = location;
    },
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    fake.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
    });
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
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return send(badRequest('Invalid JSON'));
    }
    send(handle(req, url.pathname, url.searchParams, body));
  }

  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}
