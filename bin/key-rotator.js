#!/usr/bin/env node
// The `key-rotator` command: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/client/cli.ts');
process.exitCode = await runCli(process.argv);
