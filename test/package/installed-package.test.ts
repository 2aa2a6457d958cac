/**
 * The package a user installs from a tarball, as a new user outside a checkout would:
 * `npm pack` (its prepack builds dist/), `npm install -g --prefix <tmp> ./openrouter-key-rotator-<v>.tgz`,
 * then the installed `key-rotator` in an empty folder with only Node.js on PATH: `--help`,
 * `validate` on the example config it ships, and `worker` until it polls Temporal with the
 * workflow bundle it ships (no webpack at start-up).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, createTestNamespace, uniqueName } from '../support/cli.js';
import { killOnExit, waitFor } from '../support/net.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGE = 'openrouter-key-rotator';

let work: string;
let tarball: string;
let installed: string;
let emptyFolder: string;
let tarballFiles: string[];

/**
 * What a user's shell has: Node.js 24 and the prefix's bin/ on PATH (nothing else), a HOME, and
 * nothing of this checkout (no TEMPORAL_/KEY_ROTATOR_ variables unless given).
 */
function userEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${path.join(work, 'prefix', 'bin')}:${path.dirname(process.execPath)}`,
    HOME: path.join(work, 'home'),
    ...extra,
  };
}

/** Runs the installed `key-rotator` in the empty folder; never rejects on an exit code. */
async function keyRotator(args: string[], extra: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('key-rotator', args, {
      cwd: emptyFolder,
      env: userEnvironment(extra),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'installed-package-'));
  mkdirSync(path.join(work, 'home'));
  emptyFolder = path.join(work, 'empty');
  mkdirSync(emptyFolder);
  // prepack runs `npm run build` (dist/ is what the package ships).
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: root,
    timeout: 600_000,
    maxBuffer: 64 << 20,
  });
  const [manifest] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = path.join(work, manifest!.filename);
  tarballFiles = manifest!.files.map((f) => f.path);
  // The registry is asked only for what npm's cache lacks (npm ci filled it).
  await run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      path.join(work, 'prefix'),
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
    ],
    // This machine's npm and its cache (the pinned Node.js of .tools/ ships without npm).
    {
      cwd: emptyFolder,
      env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      timeout: 600_000,
      maxBuffer: 64 << 20,
    },
  );
  installed = path.join(work, 'prefix', 'lib', 'node_modules', PACKAGE);
}, 1_200_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('is named openrouter-key-rotator-<version>.tgz and holds compiled JavaScript only', () => {
    expect(path.basename(tarball)).toMatch(/^openrouter-key-rotator-\d+\.\d+\.\d+\.tgz$/);
    expect(tarballFiles).toContain('bin/key-rotator.js');
    expect(tarballFiles).toContain('dist/client/cli.js');
    expect(tarballFiles).toContain('dist/workflow-bundle.js');
    expect(tarballFiles).toContain('dist/codec/encoded-failure-converter.cjs');
    expect(tarballFiles).toContain('examples/rotations.yaml');
    const strays = tarballFiles.filter(
      (file) =>
        file.endsWith('.ts') ||
        file.endsWith('.map') ||
        /^(src|test|scripts|docs|deploy\/secrets|dist\/demo|dist\/dev)\//.test(file) ||
        file.startsWith('tsconfig'),
    );
    expect(strays).toEqual([]);
  });

  it('installs without TypeScript tooling: no tsx, typescript or vitest beside it', () => {
    const modules = path.join(work, 'prefix', 'lib', 'node_modules');
    const nested = path.join(installed, 'node_modules');
    for (const tool of ['tsx', 'typescript', 'vitest', 'esbuild']) {
      expect(existsSync(path.join(modules, tool)), tool).toBe(false);
      expect(existsSync(path.join(nested, tool)), `${PACKAGE}/node_modules/${tool}`).toBe(false);
    }
    expect(readdirSync(path.join(work, 'prefix', 'bin'))).toEqual(['key-rotator']);
  });

  it('answers key-rotator --help in an empty folder from dist/', async () => {
    const help = await keyRotator(['--help'], { KEY_ROTATOR_SHOW_LAUNCH: '1' });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stderr).toContain('running dist/client/cli.js (compiled): no src/ beside it');
    for (const command of ['apply', 'validate', 'rotate <name>', 'worker'])
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));
  });

  it("links every module it ships on Node.js's own ES module loader (no tsx to paper over a CommonJS import)", async () => {
    const script = `
      import { readdirSync } from 'node:fs';
      import path from 'node:path';
      import { pathToFileURL } from 'node:url';
      const dist = process.argv[1];
      const failed = [];
      for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.js') || file === 'workflow-bundle.js') continue;
        await import(pathToFileURL(path.join(dist, file)).href).catch((err) => {
          if (err instanceof SyntaxError) failed.push(file + ': ' + err.message.split('\\n')[0]);
        });
      }
      console.log(JSON.stringify(failed));
      process.exit(0);`;
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', script, path.join(installed, 'dist')],
      {
        cwd: emptyFolder,
        env: userEnvironment(),
        timeout: 300_000,
        maxBuffer: 16 << 20,
      },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual([]);
  }, 300_000);

  it('validates the example config it ships (exit 0) and names the problems of a bad one (exit 2)', async () => {
    const example = path.join(installed, 'examples', 'rotations.yaml');
    const good = await keyRotator(['validate', '-f', example]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/rotations\.yaml: valid, 1 rotation\(s\): demo-app/);

    const bad = path.join(emptyFolder, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nrotations:\n  - name: Not_A_Slug\n');
    const refused = await keyRotator(['validate', '-f', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/bad\.yaml: \d+ problems/);
    expect(refused.stderr).toMatch(/rotations\[0\]\.name \(line 3:11\): expected a slug/);

    const policy = path.join(installed, 'deploy', 'worker-policy.example.yaml');
    const outside = await keyRotator(['validate', '-f', example, '--policy', policy]);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(
      /openrouter\.baseUrl: the worker policy .* would refuse rotation "demo-app"/,
    );
  });

  it('runs the worker with the workflow bundle it ships until it polls Temporal, and stops on SIGTERM', async () => {
    const namespace = await createTestNamespace('package-worker');
    const base = cliEnvironment({
      TEMPORAL_NAMESPACE: namespace,
      KEY_ROTATOR_TASK_QUEUE: uniqueName('package-worker'),
      // Stopped right after it polls: making its version current would race the stop.
      KEY_ROTATOR_SET_CURRENT_VERSION: 'false',
    });
    const env = userEnvironment(
      Object.fromEntries(
        Object.entries(base).filter(
          (entry): entry is [string, string] =>
            /^(TEMPORAL_|KEY_ROTATOR_)/.test(entry[0]) && entry[1] !== undefined,
        ),
      ),
    );
    const child = spawn('key-rotator', ['worker'], {
      cwd: emptyFolder,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forget = killOnExit(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(async () => /polling task queue/.test(output), {
        what: 'the installed worker polling',
        timeoutMs: 90_000,
        abortIf: () => {
          if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}: ${output}`);
        },
      });
      child.kill('SIGTERM');
      expect(await exited, output).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      forget();
    }
    // The shipped bundle was used: a worker that bundles at start-up logs webpack's summary.
    expect(output).not.toMatch(/webpack|Workflow bundle created/);
    expect(output).toMatch(/worker deployment key-rotator build \d+\.\d+\.\d+-[0-9a-f]{12}/);
  }, 150_000);
});
