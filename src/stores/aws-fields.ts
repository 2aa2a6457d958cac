/**
 * What the AWS destinations (`aws-secrets-manager`, `aws-ssm-parameter`) share in their config: the
 * region and the endpoint override, and the client options built from them. Credentials always
 * come from the SDK's standard provider chain (environment, shared files, SSO, web identity,
 * container and instance roles), never from the config. No Node built-ins: the workflow imports
 * the config schema.
 */
import { z } from 'zod';
import { serviceUrl } from '../fields/field-schemas.js';

/** Region; otherwise the standard AWS provider chain decides (AWS_REGION, the shared config file). */
export const awsRegion = z
  .string()
  // The SDK builds the endpoint's host name from it: one DNS label, nothing that could add a host.
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected an AWS region such as eu-west-1');

/** Endpoint override (VPC endpoints, LocalStack, moto); checked against the worker policy's `awsEndpoints`. */
export const awsEndpoint = serviceUrl;

/** The config fields every AWS destination has. */
export interface AwsLocation {
  region?: string | undefined;
  endpoint?: string | undefined;
}

/**
 * The options an AWS SDK client of a destination is built with: the caller's extra options (tests
 * give credentials, retries) under the config's region and endpoint.
 */
export function awsClientOptions<Options extends object>(
  location: AwsLocation,
  extra: Options | undefined,
): Options & { region?: string; endpoint?: string } {
  return {
    ...(extra ?? ({} as Options)),
    ...(location.region ? { region: location.region } : {}),
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
  };
}
