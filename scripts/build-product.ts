/**
 * `npm run build`: the product as JavaScript — the CLI, the worker, the codec server and what they
 * import (tsconfig.build.json), their non-TypeScript files, the prebuilt workflow bundle, and last
 * a stamp that tells bin/key-rotator.js the build is current (scripts/build-stamp.js).
 *
 * Not built: src/demo (the `npm start` stack) and src/dev (a local Temporal dev server): tools
 * that run from a checkout. The build fails if product code imports them, since the compiler would
 * otherwise compile them in silently.
 *
 * Usage: `tsx scripts/build-product.ts [--out-dir <dir>]` (default: dist; emptied first).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { newestSourceMtimeMs, writeBuildStamp } from './build-stamp.js';
import { buildWorkflowBundle } from './build-workflow-bundle.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const sourceDir = path.join(root, 'src');
const buildConfig = path.join(root, 'tsconfig.build.json');
/** Source folders that are tools, not product: those tsconfig.build.json excludes (`src/demo` → `demo`). */
const TOOL_FOLDERS = (JSON.parse(readFileSync(buildConfig, 'utf8')) as { exclude: string[] }).exclude.map(
  (excluded) => path.relative(sourceDir, path.join(root, excluded)),
);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: 'dist' } } });
  const outDir = path.resolve(values['out-dir']);
  const started = Date.now();
  // Taken before compiling: an edit made while the build runs leaves it stale.
  const sourceMtimeMs = newestSourceMtimeMs(sourceDir);

  // A clean output: files of modules deleted since the last build must not linger in the image.
  rmSync(outDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', buildConfig, '--outDir', outDir], {
    stdio: 'inherit',
  });
  const pulledIn = TOOL_FOLDERS.filter((folder) => existsSync(path.join(outDir, folder)));
  if (pulledIn.length > 0) {
    throw new Error(
      `product code imports ${pulledIn.map((f) => `src/${f}`).join(' and ')}, which are development ` +
        'tools: move what the product needs out of them (grep their imports outside those folders).',
    );
  }
  copyRuntimeFiles(outDir);
  await buildWorkflowBundle(path.join(outDir, 'workflow-bundle.js'));
  writeBuildStamp(outDir, sourceMtimeMs);
  console.log(
    `product built into ${path.relative(process.cwd(), outDir) || '.'} in ${Date.now() - started} ms`,
  );
}

/** Files the compiler does not emit but the product loads at run time (e.g. the CommonJS failure converter). */
function copyRuntimeFiles(outDir: string): void {
  for (const entry of readdirSync(sourceDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
    const relative = path.relative(sourceDir, path.join(entry.parentPath, entry.name));
    if (TOOL_FOLDERS.includes(relative.split(path.sep)[0]!)) continue;
    mkdirSync(path.dirname(path.join(outDir, relative)), { recursive: true });
    copyFileSync(path.join(sourceDir, relative), path.join(outDir, relative));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
