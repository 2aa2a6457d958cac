/**
 * How an AWS destination's store gets its SDK client: the one its deps hand it (tests inject a
 * stub), else one built at the first request from the config's region and endpoint. Built late on
 * purpose: the SDK takes most of a second to load, and the CLI, which reaches the stores through
 * the destination registry for labels only, never needs it.
 */
import { awsClientOptions, type AwsLocation } from './aws-fields.js';

export interface AwsClientDeps<Api, ClientConfig> {
  /** A ready client (tests inject a stub). @default an SDK client from the standard provider chain */
  client?: Api;
  /** Extra client options (credentials, maxAttempts…) merged under `region`/`endpoint` from the config. */
  clientConfig?: ClientConfig;
}

/** The store's client, built (once) at the first call by `build` from the client options. */
export function lazyAwsClient<Api, ClientConfig extends object>(
  location: AwsLocation,
  deps: AwsClientDeps<Api, ClientConfig>,
  build: (options: ClientConfig & AwsLocation) => Promise<Api>,
): () => Promise<Api> {
  let client: Promise<Api> | undefined;
  return () =>
    (client ??= deps.client
      ? Promise.resolve(deps.client)
      : build(awsClientOptions(location, deps.clientConfig)));
}
