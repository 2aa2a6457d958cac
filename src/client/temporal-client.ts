/**
 * The CLI's Temporal session: connects as every Temporal tool does (settings and errors in
 * src/temporal/connection.ts), with our data converter (src/codec/data-converter.ts), so that
 * rotation data is encrypted before it leaves this process and failure messages read back from
 * Temporal are decrypted.
 */
import { hostname, userInfo } from 'node:os';
import { Client, type Connection } from '@temporalio/client';
import { createRotatorDataConverter } from '../codec/data-converter.js';
import { connectClient, temporalSettings, temporalUnavailableHint } from '../temporal/connection.js';
import { findCheckout } from './checkout.js';

export { DEFAULT_TEMPORAL_ADDRESS } from '../temporal/connection.js';

export interface ConnectTemporalOptions {
  /** Environment to read the connection settings and codec key from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the server to answer. @default "5s" */
  connectTimeout?: string;
  /** Where the CLI runs: in a checkout, "Temporal unreachable" suggests `npm start`. @default process.cwd() */
  cwd?: string;
}

export interface TemporalSession {
  client: Client;
  connection: Connection;
  address: string;
  namespace: string;
  close(): Promise<void>;
}

export async function connectTemporal(options: ConnectTemporalOptions = {}): Promise<TemporalSession> {
  const env = options.env ?? process.env;
  // The codec key is checked first: without it nothing may be sent, whatever the server says.
  const dataConverter = await createRotatorDataConverter({ env });
  const settings = temporalSettings(env);
  const connection = await connectClient(settings, {
    connectTimeout: options.connectTimeout,
    hint: temporalUnavailableHint(findCheckout(options.cwd ?? process.cwd())),
    env,
  });
  // Who did it, in the history of every run, signal and schedule change: the audit trail's "who".
  const identity = `${userInfo().username}@${hostname()} (key-rotator CLI)`;
  const client = new Client({ connection, namespace: settings.namespace, dataConverter, identity });
  return {
    client,
    connection,
    address: settings.address,
    namespace: settings.namespace,
    close: () => connection.close(),
  };
}
