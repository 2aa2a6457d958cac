/**
 * What every bench row runs against: one Temporal dev server, the product compiled as the published
 * package runs it (bin/ + dist/ + node_modules, no src/ beside it, so the bin takes dist/), the Go
 * `temporal` CLI as a baseline, and fresh namespaces with our search attributes.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { stringify } from 'yaml';
import { ensureTemporalCli } from '../../src/dev/temporal-cli.js';
import { startTemporalDevServer, type RunningDevServer } from '../../src/dev/temporal-dev-server.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflow-contract/messages.js';
import { runProcess, type ProcessRun } from './measure.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The codec key of every bench run (a throwaway). */
export const BENCH_CODEC_KEY = JSON.stringify({
  active: 'bench',
  keys: { bench: Buffer.alloc(32, 3).toString('base64') },
});
/** The workers' sealing keyring in every bench run (a throwaway, apart from the codec key). */
export const BENCH_SEALING_KEY = JSON.stringify({
  active: 'bench-sealing',
  keys: { 'bench-sealing': Buffer.alloc(32, 4).toString('base64') },
});

export interface BenchEnv {
  dir: string;
  temporalCli: string;
  server: RunningDevServer;
  /** The bench's own connection to the server (describing task queues and runs). */
  connection: Connection;
  /** bin/key-rotator.js of the compiled package. */
  bin: string;
  /** The prebuilt workflow bundle of the compiled package. */
  workflowBundle: string;
  /** The commit the package was built from. */
  commit: string;
  /** The package layout: bin/, dist/ and a link to node_modules. */
  packageDir: string;
  /** A new namespace with our search attributes. */
  namespace(prefix: string): Promise<string>;
  /** Runs the compiled `key-rotator` in `namespace`. */
  keyRotator(namespace: string, args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<ProcessRun>;
  /** Runs the Go `temporal` CLI against the server in `namespace`. */
  temporal(namespace: string, args: string[]): Promise<ProcessRun>;
  /** Writes a rotations file of `count` rotations named `<prefix>-<i>`; returns its path. */
  fleetFile(prefix: string, count: number): Promise<string>;
  stop(): Promise<void>;
}

/** The environment of the CLI under test: only what it needs, so a developer's settings stay out. */
function cliEnv(address: string, namespace: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
    KEY_ROTATOR_CODEC_KEY: BENCH_CODEC_KEY,
    BENCH_MANAGEMENT_KEY: 'not-read-by-the-cli',
    ...extra,
  };
}

/**
 * Compiles the product (`npm run build`) of the checked-out commit, not of the working tree (where
 * edits in progress may not compile), into `dir/package/dist` beside a copy of bin/.
 */
async function buildPackage(
  dir: string,
): Promise<{ packageDir: string; bin: string; workflowBundle: string; commit: string }> {
  const tree = path.join(dir, 'tree');
  const pkg = path.join(dir, 'package');
  await mkdir(tree, { recursive: true });
  await mkdir(path.join(pkg, 'bin'), { recursive: true });
  const commit = (await runProcess('git', ['-C', root, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  await runProcess('bash', ['-c', `git -C "${root}" archive HEAD | tar -x -C "${tree}"`]);
  await symlink(path.join(root, 'node_modules'), path.join(tree, 'node_modules'));
  await runProcess(
    process.execPath,
    ['--import', 'tsx', 'scripts/build-product.ts', '--out-dir', path.join(pkg, 'dist')],
    { cwd: tree },
  );
  await copyFile(path.join(tree, 'bin/key-rotator.js'), path.join(pkg, 'bin/key-rotator.js'));
  await copyFile(path.join(tree, 'package.json'), path.join(pkg, 'package.json'));
  await symlink(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
  return {
    packageDir: pkg,
    bin: path.join(pkg, 'bin/key-rotator.js'),
    workflowBundle: path.join(pkg, 'dist/workflow-bundle.js'),
    commit,
  };
}

export async function startBenchEnv(log: (line: string) => void): Promise<BenchEnv> {
  const dir = await mkdtemp(path.join(tmpdir(), 'key-rotator-bench-'));
  log('building the product of HEAD (npm run build) into a package layout…');
  const { packageDir, bin, workflowBundle, commit } = await buildPackage(dir);
  const temporalCli = await ensureTemporalCli();
  log('starting a Temporal dev server…');
  const server = await startTemporalDevServer({ cliPath: temporalCli });
  const connection = await Connection.connect({ address: server.address });

  return {
    dir,
    temporalCli,
    server,
    connection,
    packageDir,
    bin,
    workflowBundle,
    commit,
    async namespace(prefix) {
      const namespace = `bench-${prefix}-${randomBytes(3).toString('hex')}`;
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          Object.keys(SEARCH_ATTRIBUTES).map((name) => [
            name,
            proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          ]),
        ),
      });
      return namespace;
    },
    keyRotator(namespace, args, extraEnv) {
      return runProcess(process.execPath, [bin, ...args], {
        env: cliEnv(server.address, namespace, extraEnv),
        cwd: dir,
      });
    },
    temporal(namespace, args) {
      return runProcess(temporalCli, [...args, '--address', server.address, '--namespace', namespace], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
    },
    async fleetFile(prefix, count) {
      const rotations = Array.from({ length: count }, (_, i) => ({
        name: `${prefix}-${i}`,
        openrouter: { managementKeyEnv: 'BENCH_MANAGEMENT_KEY', key: { name: `${prefix} ${i}`, limit: 10 } },
        // Zones and times vary as in a real fleet; 02:30 Europe/Berlin meets a DST note.
        schedule: {
          intervalDays: 30,
          rotateAt: i % 10 === 0 ? '02:30' : '03:00',
          timezone: ['UTC', 'Europe/Berlin', 'America/New_York'][i % 3],
        },
        destinations: [{ type: 'file', path: `secrets/${prefix}-${i}.env` }],
      }));
      const file = path.join(dir, `${prefix}-${count}.yaml`);
      await writeFile(file, stringify({ version: 1, rotations }));
      return file;
    },
    async stop() {
      await connection.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
