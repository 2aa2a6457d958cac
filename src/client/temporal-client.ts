/**
 * Connects to Temporal the way every Temporal tool does (@temporalio/envconfig): TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings and config-file profiles, with our data
 * converter (src/codec/data-converter.ts), so that rotation data is encrypted before it leaves this
 * process and failure messages read back from Temporal are decrypted.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { createRotatorDataConverter } from '../codec/data-converter.js';
import { redact } from '../redact.js';
import { TemporalUnavailableError } from './cli-errors.js';

/** Where the CLI looks for Temporal when nothing is configured. @default "127.0.0.1:7233" */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export interface ConnectTemporalOptions {
  /** Environment to read the connection settings and codec key from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the server to answer. @default "5s" */
  connectTimeout?: string;
}

export interface TemporalSession {
  client: Client;
  connection: Connection;
  address: string;
  namespace: string;
  close(): Promise<void>;
}

function definedEntries(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

const HINT =
  'set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TEMPORAL_API_KEY or TLS settings for Temporal Cloud), ' +
  'or start a local server with `temporal server start-dev`';

export async function connectTemporal(options: ConnectTemporalOptions = {}): Promise<TemporalSession> {
  const env = options.env ?? process.env;
  // The codec key is checked first: without it nothing may be sent, whatever the server says.
  const dataConverter = await createRotatorDataConverter({ env });
  let config: ReturnType<typeof loadClientConnectConfig>;
  try {
    config = loadClientConnectConfig({ overrideEnvVars: definedEntries(env) });
  } catch (err) {
    throw new TemporalUnavailableError(
      `cannot read the Temporal client configuration: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const address = config.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = config.namespace ?? 'default';
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...config.connectionOptions,
      address,
      connectTimeout: options.connectTimeout ?? '5s',
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TemporalUnavailableError(`cannot reach Temporal at ${address}: ${redact(reason)}; ${HINT}`, {
      retryable: true,
    });
  }
  const client = new Client({ connection, namespace, dataConverter });
  return { client, connection, address, namespace, close: () => connection.close() };
}
