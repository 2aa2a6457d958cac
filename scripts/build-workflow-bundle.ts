/**
 * Prebuilds the workflow bundle for production workers (the Docker image), so a worker starts in
 * seconds instead of running webpack on every start-up. The worker loads it when
 * `KEY_ROTATOR_WORKFLOW_BUNDLE` names the file. `npm run build` (scripts/build-product.ts) writes
 * it as dist/workflow-bundle.js; this script alone writes only the bundle.
 *
 * Usage: `node --import tsx scripts/build-workflow-bundle.ts [out-file]`
 * (default out-file: dist/workflow-bundle.js, relative to the working directory).
 *
 * The bundle must be built with the exact @temporalio/worker version that runs it: build it in the
 * same image (or from the same package-lock.json) as the worker.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../src/codec/data-converter.js';
import { WORKFLOW_PRELOAD_MODULES } from '../src/worker/rotation-workers.js';

const DEFAULT_OUT_FILE = 'dist/workflow-bundle.js';

/** Bundles src/workflows into `outFile` and says how big it is. */
export async function buildWorkflowBundle(outFile: string): Promise<void> {
  const workflowsPath = fileURLToPath(new URL('../src/workflows/index.ts', import.meta.url));
  const started = Date.now();
  // Workflow failures are encoded (then encrypted) like the worker's: see src/codec/data-converter.ts.
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    preloadModules: WORKFLOW_PRELOAD_MODULES,
  });
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
  const kib = Math.round(Buffer.byteLength(code) / 1024);
  console.log(`workflow bundle written to ${outFile} (${kib} KiB in ${Date.now() - started} ms)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildWorkflowBundle(path.resolve(process.argv[2] ?? DEFAULT_OUT_FILE)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
