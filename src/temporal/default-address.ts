/**
 * Where Temporal is looked for when nothing is configured. Its own module, free of imports, so that
 * `key-rotator --help` can print it without loading the Temporal client (src/client/cli.ts).
 * @default "127.0.0.1:7233"
 */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
