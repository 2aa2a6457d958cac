import type { DestinationPolicyHooks } from '../destination.js';
import type { FileDestinationConfig } from './schema.js';

/** A file destination needs no credential and sends nothing anywhere; it writes one file. */
export const filePolicyHooks: DestinationPolicyHooks<FileDestinationConfig> = {
  outboundUrls: () => [],
  credentialRefs: () => [],
  writtenPaths: (config) => [{ field: 'path', path: config.path }],
  // Its folder is the target: destinations.fileRoots decides it.
  targets: () => [],
};
