/**
 * A real moto server (AWS service emulator) for AWS Secrets Manager tests: 127.0.0.1 on a free
 * port, a bounded start-up poll, stopped by PID.
 */
import { findFreePort, startServerProcess, venvTool } from '../support/net.js';

export interface MotoServer {
  /** e.g. http://127.0.0.1:40123 */
  endpoint: string;
  pid: number;
  /** Wipes every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface MotoServerOptions {
  /**
   * Extra environment for moto, e.g. `{ INITIAL_NO_AUTH_ACTION_COUNT: '0' }` to make it check
   * credentials against its IAM (so unknown access keys are refused).
   */
  env?: Record<string, string>;
  /** @default 30000 */
  startTimeoutMs?: number;
}

export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const binary = venvTool('moto_server');
  const port = await findFreePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    binary,
    args: ['-H', '127.0.0.1', '-p', String(port)],
    env: options.env,
    ready: async () => (await fetch(`${endpoint}/moto-api/`)).ok,
    what: `moto server at ${endpoint}`,
    startTimeoutMs: options.startTimeoutMs,
  });
  return {
    endpoint,
    pid: server.pid,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop: server.stop,
  };
}

/** Credentials of an IAM user made in moto. */
export interface MotoIamUser {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Makes an IAM user with one inline policy (`statements`) and an access key, through moto's IAM
 * query API, unsigned: it takes three of the unauthenticated calls a server started with
 * `INITIAL_NO_AUTH_ACTION_COUNT` grants, so start it with 3 × the number of users.
 */
export async function createMotoIamUser(
  moto: Pick<MotoServer, 'endpoint'>,
  userName: string,
  statements: { Effect: 'Allow' | 'Deny'; Action: string[]; Resource: string | string[] }[],
): Promise<MotoIamUser> {
  const call = async (params: Record<string, string>): Promise<string> => {
    const response = await fetch(`${moto.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        // moto routes by the service in the credential scope; the signature is not checked for these calls.
        authorization:
          'AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ Version: '2010-05-08', ...params }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`moto IAM ${params.Action} failed: HTTP ${response.status} ${text}`);
    return text;
  };
  await call({ Action: 'CreateUser', UserName: userName });
  await call({
    Action: 'PutUserPolicy',
    UserName: userName,
    PolicyName: `${userName}-policy`,
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
  });
  const key = await call({ Action: 'CreateAccessKey', UserName: userName });
  const accessKeyId = /<AccessKeyId>([^<]+)</.exec(key)?.[1];
  const secretAccessKey = /<SecretAccessKey>([^<]+)</.exec(key)?.[1];
  if (!accessKeyId || !secretAccessKey) throw new Error(`moto IAM CreateAccessKey gave no key: ${key}`);
  return { accessKeyId, secretAccessKey };
}
