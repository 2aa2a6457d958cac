/**
 * The secret destinations of a chaos run: a dotenv file per managed key always, and a Vault
 * (OpenBao) secret and an AWS Secrets Manager (moto) secret when those servers are installed. The
 * worker reaches Vault and AWS through fault-injecting proxies; the monitor reads them directly.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { errnoCode } from '../../src/errors/errno.js';
import { startMotoServer, type MotoServer } from '../../test/stores/moto-server.js';
import { venvTool } from '../../test/support/net.js';
import { startOpenBaoServer, type OpenBaoServer } from '../../test/stores/openbao-server.js';
import type { FaultPlan } from './fault-plan.js';
import {
  AWS_ERRORS,
  VAULT_ERRORS,
  isAwsWrite,
  isVaultWrite,
  startFaultProxy,
  type FaultProxy,
  type ProxyFaultKind,
} from './fault-proxy.js';
import { STREAMS } from './seeded-choices.js';

/** The environment variable the worker reads the Vault token from (named in the config and policy). */
export const VAULT_TOKEN_ENV = 'CHAOS_VAULT_TOKEN';
const FIELD = 'OPENROUTER_API_KEY';
const AWS_REGION = 'us-east-1';
/** moto accepts any credentials; these are the worker's too. */
const AWS_CREDENTIALS = { accessKeyId: 'chaos', secretAccessKey: 'chaos-secret' };
/** The monitor's reads and the set-up writes give up after this long (a read error, not a hang). */
const READ_TIMEOUT_MS = 10_000;

export interface DestinationReading {
  /** e.g. `vault:chaos-03` */
  destination: string;
  /** The key it hands out now; undefined when it holds none. */
  value: string | undefined;
}

export interface ChaosDestinations {
  /** Destination types in use, e.g. ["file", "vault", "aws-secrets-manager"]. */
  readonly types: string[];
  /** Folder of the file destinations. */
  readonly fileRoot: string;
  /** The proxied Vault address the worker uses, when Vault is in use. */
  readonly vaultAddress: string | undefined;
  /** The proxied AWS endpoint the worker uses, when AWS is in use. */
  readonly awsEndpoint: string | undefined;
  /** Credentials the worker needs in its environment (values: never logged). */
  readonly workerEnv: Record<string, string>;
  /** The real secrets among them, by what they are: no history, log or database may hold them. */
  readonly secrets: Map<string, string>;
  /** The destinations of one managed key, as the rotations file lists them. */
  configFor(name: string): Record<string, unknown>[];
  /** Puts `key` in every destination of `name`, as a person would before the first rotation. */
  seed(name: string, key: string): Promise<void>;
  /** What every destination of every key holds now, read directly (not through the proxies). */
  readAll(names: readonly string[]): Promise<Map<string, DestinationReading[]>>;
  /** Turns the proxies' faults on or off. */
  setFaultsActive(active: boolean): void;
  /** Faults the proxies injected, by service and kind, e.g. `vault 5xx`. */
  injectedFaults(): Record<string, number>;
  stop(): Promise<void>;
}

export interface ChaosDestinationsOptions {
  /** Folder of the file destinations (created 0700). */
  fileRoot: string;
  /** Start OpenBao and moto when they are installed. */
  external: boolean;
  plan: FaultPlan;
  seed: number;
  log(line: string): void;
}

/** Whether scripts/ensure-test-servers.sh installed OpenBao and moto. */
function externalServersInstalled(): boolean {
  try {
    venvTool('bao');
    venvTool('moto_server');
    return true;
  } catch {
    return false;
  }
}

function fileOf(root: string, name: string): string {
  return path.join(root, `${name}.env`);
}

function secretPathOf(name: string): string {
  return `chaos/${name}`;
}

async function readDotenvKey(file: string): Promise<string | undefined> {
  try {
    const text = await readFile(file, 'utf8');
    return new RegExp(`^${FIELD}=(.*)$`, 'm').exec(text)?.[1] || undefined;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

interface External {
  bao: OpenBaoServer;
  moto: MotoServer;
  aws: SecretsManagerClient;
  vaultProxy: FaultProxy;
  awsProxy: FaultProxy;
}

async function startExternal(options: ChaosDestinationsOptions): Promise<External> {
  const [bao, moto] = await Promise.all([startOpenBaoServer(), startMotoServer()]);
  const common = { faults: options.plan.proxy, seed: options.seed, log: options.log };
  const [vaultProxy, awsProxy] = await Promise.all([
    startFaultProxy({
      ...common,
      name: 'vault',
      target: bao.address,
      stream: STREAMS.vaultProxy,
      isWrite: isVaultWrite,
      errors: VAULT_ERRORS,
    }),
    startFaultProxy({
      ...common,
      name: 'aws',
      target: moto.endpoint,
      stream: STREAMS.awsProxy,
      isWrite: isAwsWrite,
      errors: AWS_ERRORS,
    }),
  ]);
  const aws = new SecretsManagerClient({
    region: AWS_REGION,
    endpoint: moto.endpoint,
    credentials: AWS_CREDENTIALS,
    maxAttempts: 2,
    requestHandler: { requestTimeout: READ_TIMEOUT_MS, connectionTimeout: READ_TIMEOUT_MS },
  });
  return { bao, moto, aws, vaultProxy, awsProxy };
}

export async function startChaosDestinations(options: ChaosDestinationsOptions): Promise<ChaosDestinations> {
  await mkdir(options.fileRoot, { recursive: true, mode: 0o700 });
  const installed = options.external && externalServersInstalled();
  if (options.external && !installed) {
    options.log(
      'OpenBao and moto are not installed (scripts/ensure-test-servers.sh): file destinations only',
    );
  }
  const ext = installed ? await startExternal(options) : undefined;

  const vaultUrl = (name: string) => `${ext!.bao.address}/v1/secret/data/${secretPathOf(name)}`;
  const vaultHeaders = () => ({ 'X-Vault-Token': ext!.bao.rootToken });

  async function readVault(name: string): Promise<string | undefined> {
    const response = await fetch(vaultUrl(name), {
      headers: vaultHeaders(),
      signal: AbortSignal.timeout(READ_TIMEOUT_MS),
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`Vault answered ${response.status} reading ${secretPathOf(name)}`);
    const body = (await response.json()) as { data?: { data?: Record<string, unknown> } };
    const value = body.data?.data?.[FIELD];
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  /** Values of the AWS secret versions read so far: a version never changes, so each is read once. */
  const awsVersionValues = new Map<string, string | undefined>();

  /**
   * What AWSCURRENT holds in each secret: one ListSecrets call for where the labels are, then a read
   * of each version not seen before. (moto answers a read without a stage, and BatchGetSecretValue,
   * with the version last put, not the one AWSCURRENT was moved to; reading every secret by stage
   * several times a second would keep moto busier than the worker.)
   */
  async function readAws(names: readonly string[]): Promise<(string | undefined)[]> {
    const currentVersion = new Map<string, string>();
    let nextToken: string | undefined;
    for (let page = 0; page < 100; page++) {
      const out = await ext!.aws.send(new ListSecretsCommand({ MaxResults: 100, NextToken: nextToken }));
      for (const secret of out.SecretList ?? []) {
        const stages = Object.entries(secret.SecretVersionsToStages ?? {});
        const current = stages.find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
        if (secret.Name && current) currentVersion.set(secret.Name, current);
      }
      nextToken = out.NextToken;
      if (!nextToken) break;
    }
    return Promise.all(
      names.map(async (name) => {
        const secretId = secretPathOf(name);
        const versionId = currentVersion.get(secretId);
        if (versionId === undefined) return undefined;
        const cacheKey = `${secretId}|${versionId}`;
        if (!awsVersionValues.has(cacheKey)) {
          const out = await ext!.aws.send(
            new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
          );
          awsVersionValues.set(cacheKey, out.SecretString || undefined);
        }
        return awsVersionValues.get(cacheKey);
      }),
    );
  }

  return {
    types: ['file', ...(ext ? ['vault', 'aws-secrets-manager'] : [])],
    fileRoot: options.fileRoot,
    vaultAddress: ext?.vaultProxy.url,
    awsEndpoint: ext?.awsProxy.url,
    workerEnv: ext
      ? {
          [VAULT_TOKEN_ENV]: ext.bao.rootToken,
          AWS_ACCESS_KEY_ID: AWS_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: AWS_CREDENTIALS.secretAccessKey,
        }
      : {},
    // moto takes any AWS credentials: only the Vault token is a secret.
    secrets: new Map(ext ? [[ext.bao.rootToken, 'the Vault root token']] : []),

    configFor(name) {
      const file = { type: 'file', path: fileOf(options.fileRoot, name) };
      if (!ext) return [file];
      return [
        file,
        {
          type: 'vault',
          address: ext.vaultProxy.url,
          path: secretPathOf(name),
          auth: { method: 'token', token: { env: VAULT_TOKEN_ENV } },
        },
        {
          type: 'aws-secrets-manager',
          secretId: secretPathOf(name),
          region: AWS_REGION,
          endpoint: ext.awsProxy.url,
        },
      ];
    },

    async seed(name, key) {
      await writeFile(fileOf(options.fileRoot, name), `# chaos run\n${FIELD}=${key}\nOTHER=kept\n`, {
        mode: 0o600,
      });
      if (!ext) return;
      const response = await fetch(vaultUrl(name), {
        method: 'POST',
        headers: vaultHeaders(),
        body: JSON.stringify({ data: { [FIELD]: key, OTHER: 'kept' } }),
        signal: AbortSignal.timeout(READ_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`Vault answered ${response.status} seeding ${secretPathOf(name)}`);
      await ext.aws.send(new CreateSecretCommand({ Name: secretPathOf(name), SecretString: key }));
    },

    async readAll(names) {
      const [files, vault, aws] = await Promise.all([
        Promise.all(names.map((n) => readDotenvKey(fileOf(options.fileRoot, n)))),
        ext ? Promise.all(names.map(readVault)) : undefined,
        ext ? readAws(names) : undefined,
      ]);
      const out = new Map<string, DestinationReading[]>();
      names.forEach((name, i) => {
        const readings: DestinationReading[] = [{ destination: `file:${name}`, value: files[i] }];
        if (vault) readings.push({ destination: `vault:${name}`, value: vault[i] });
        if (aws) readings.push({ destination: `aws-secrets-manager:${name}`, value: aws[i] });
        out.set(name, readings);
      });
      return out;
    },

    setFaultsActive(active) {
      ext?.vaultProxy.setActive(active);
      ext?.awsProxy.setActive(active);
    },

    injectedFaults() {
      const out: Record<string, number> = {};
      for (const [service, proxy] of ext
        ? ([
            ['vault', ext.vaultProxy],
            ['aws', ext.awsProxy],
          ] as const)
        : []) {
        for (const [kind, count] of Object.entries(proxy.injected()) as [ProxyFaultKind, number][]) {
          out[`${service} ${kind}`] = count;
        }
      }
      return out;
    },

    async stop() {
      if (!ext) return;
      ext.aws.destroy();
      await Promise.all([ext.vaultProxy.stop(), ext.awsProxy.stop()]);
      await Promise.all([ext.bao.stop(), ext.moto.stop()]);
    },
  };
}
