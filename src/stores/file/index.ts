/** The `file` destination: a dotenv or JSON file on the worker's disk. */
import type { Destination } from '../destination.js';
import { fileDestinationLabel } from './label.js';
import { filePolicyHooks } from './policy.js';
import type { FileDestinationConfig } from './schema.js';
import { FileSecretStore } from './store.js';

export const fileDestination: Destination<FileDestinationConfig> = {
  createStore: (config, { cwd, refuseWrittenPath }) =>
    new FileSecretStore(config, { cwd, refuseWrittenPath }),
  label: fileDestinationLabel,
  ...filePolicyHooks,
};

export { fileDestinationLabel } from './label.js';
export { fileDestinationSchema, type FileDestinationConfig } from './schema.js';
export { FileSecretStore, fileVersion, type FileStoreDeps } from './store.js';
export type { RefuseWrittenPath } from './opened-folder.js';
