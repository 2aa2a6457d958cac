#!/usr/bin/env node
// The `key-rotator` command. It runs the compiled CLI (dist/, written by `npm run build`) when
// there are no sources beside it (the Docker image) or when that build is current; otherwise the
// TypeScript sources through tsx, so a checkout needs no build step and never runs a stale build.
// KEY_ROTATOR_SHOW_LAUNCH=1 prints which one runs, and why, to stderr.
/* global URL */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiledCli = new URL('../dist/client/cli.js', import.meta.url);
const sourceCli = new URL('../src/client/cli.ts', import.meta.url);

/** Which CLI module to run: `{ compiled, why }`. */
async function chooseCli() {
  if (!existsSync(compiledCli)) return { compiled: false, why: 'no build in dist/' };
  if (!existsSync(sourceCli)) return { compiled: true, why: 'no src/ beside it' };
  // Only a checkout gets here, and a checkout has scripts/ (the image has neither src/ nor scripts/).
  const { buildFreshness } = await import('../scripts/build-stamp.js');
  const freshness = buildFreshness(
    fileURLToPath(new URL('../dist/', import.meta.url)),
    fileURLToPath(new URL('../src/', import.meta.url)),
  );
  return freshness.current
    ? { compiled: true, why: 'the build is current' }
    : { compiled: false, why: `the build in dist/ is stale: ${freshness.reason}; npm run build renews it` };
}

async function loadSourceCli() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    console.error(
      'key-rotator: running the TypeScript sources needs tsx, a development dependency: run `npm ci` ' +
        '(with development dependencies), or `npm run build` to run the compiled JavaScript instead.',
    );
    process.exit(1);
  }
  return import(sourceCli.href);
}

const choice = await chooseCli();
if (process.env.KEY_ROTATOR_SHOW_LAUNCH) {
  const what = choice.compiled ? 'dist/client/cli.js (compiled)' : 'src/client/cli.ts through tsx';
  console.error(`key-rotator: running ${what}: ${choice.why}`);
}
const { runCli } = choice.compiled ? await import(compiledCli.href) : await loadSourceCli();
process.exitCode = await runCli(process.argv);
