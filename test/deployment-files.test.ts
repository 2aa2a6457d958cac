/**
 * The deployment files (Dockerfile, docker-compose.yml, deploy/) checked without a Docker engine:
 * everything they reference exists or is documented as user-created, names match what the code
 * spells, images are pinned by digest, no password has a default, the codec server demands its
 * token, the Node.js version agrees everywhere, and the container health probe answers as Docker
 * expects. The image itself is assembled from the Dockerfile in a temporary folder (the product
 * really built, production dependencies only) and run: compiled JavaScript, no src/, no tsx.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  readDockerfileInstructions,
  readDockerfileStages,
  type BuiltStage,
} from '../scripts/build-image-layout.js';
import { configSchema } from '../src/config/schema.js';
import { SEARCH_ATTRIBUTES } from '../src/workflow-contract/messages.js';
import { cliEnvironment, createTestNamespace, uniqueName } from './support/cli.js';
import { findFreePort, killOnExit, startServerProcess, waitFor, type ServerProcess } from './support/net.js';
import { goTestServer } from './support/temporal-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoPath = (...parts: string[]) => path.join(root, ...parts);
const readRepoFile = (relative: string) => readFileSync(repoPath(relative), 'utf8');
const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// docker-compose.yml: the subset of the Compose spec these checks read.

const stringOrList = z.union([z.string(), z.array(z.string())]);
const composeService = z.looseObject({
  image: z.string().optional(),
  build: z
    .union([z.string(), z.looseObject({ context: z.string(), dockerfile: z.string().optional() })])
    .optional(),
  command: stringOrList.optional(),
  entrypoint: stringOrList.optional(),
  environment: z
    .union([
      z.array(z.string()),
      z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    ])
    .optional(),
  volumes: z
    .array(z.union([z.string(), z.looseObject({ type: z.string(), source: z.string().optional() })]))
    .optional(),
  secrets: z.array(z.union([z.string(), z.looseObject({ source: z.string() })])).optional(),
  env_file: z
    .union([z.string(), z.array(z.union([z.string(), z.looseObject({ path: z.string() })]))])
    .optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string().optional() }))])
    .optional(),
  ports: z.array(z.union([z.string(), z.number()])).optional(),
});
type ComposeService = z.infer<typeof composeService>;
const composeFile = z.looseObject({
  services: z.record(z.string(), composeService),
  secrets: z.record(z.string(), z.looseObject({ file: z.string() })).optional(),
  volumes: z.record(z.string(), z.unknown().nullable()).optional(),
});

// Merge keys (`<<: *anchor`) are part of Compose files; yaml 2 needs them enabled.
const compose = composeFile.parse(parseYaml(readRepoFile('docker-compose.yml'), { merge: true }));
const services = Object.entries(compose.services);
/** Services that run our own image (built from this repository). */
const ourImage = new Set(
  services.filter(([, s]) => s.build !== undefined).flatMap(([, s]) => (s.image ? [s.image] : [])),
);
const ourServices = services.filter(
  ([, s]) => s.build !== undefined || (s.image !== undefined && ourImage.has(s.image)),
);

function environmentOf(service: ComposeService): Map<string, string> {
  const env = service.environment;
  if (env === undefined) return new Map();
  if (Array.isArray(env)) {
    return new Map(env.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)]));
  }
  return new Map(Object.entries(env).map(([name, value]) => [name, value === null ? '' : String(value)]));
}

function commandOf(service: ComposeService): string[] {
  const command = service.command;
  if (command === undefined) return [];
  return Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean);
}

function dependenciesOf(service: ComposeService): string[] {
  const deps = service.depends_on;
  if (deps === undefined) return [];
  return Array.isArray(deps) ? deps : Object.keys(deps);
}

function envFilesOf(service: ComposeService): string[] {
  const files = service.env_file;
  if (files === undefined) return [];
  return (Array.isArray(files) ? files : [files]).map((f) => (typeof f === 'string' ? f : f.path));
}

function secretNamesOf(service: ComposeService): string[] {
  return (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
}

/** Host side of bind mounts (`./x:/y[:ro]` or long syntax `type: bind`); named volumes are skipped. */
function bindSourcesOf(service: ComposeService): string[] {
  return (service.volumes ?? []).flatMap((volume) => {
    if (typeof volume !== 'string') return volume.type === 'bind' && volume.source ? [volume.source] : [];
    const source = volume.split(':')[0]!;
    return source.startsWith('.') || source.startsWith('/') ? [source] : [];
  });
}

function namedVolumesOf(service: ComposeService): string[] {
  return (service.volumes ?? []).flatMap((volume) => {
    if (typeof volume !== 'string') return volume.type === 'volume' && volume.source ? [volume.source] : [];
    const parts = volume.split(':');
    const source = parts[0]!;
    return parts.length > 1 && !source.startsWith('.') && !source.startsWith('/') ? [source] : [];
  });
}

// ---------------------------------------------------------------------------------------------
// Files the user creates: gitignored and listed in deploy/secrets/README.md.

const secretsReadme = readRepoFile('deploy/secrets/README.md');

function isGitIgnored(relative: string): boolean {
  try {
    execFileSync('git', ['check-ignore', '-q', '--no-index', relative], { cwd: root, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why `relative` is acceptable as a host path, or undefined when it is not. */
function hostPathVerdict(relative: string): string | undefined {
  const normalized = path.normalize(relative);
  if (existsSync(repoPath(normalized))) return 'exists';
  const documented = secretsReadme.includes(path.basename(normalized));
  if (isGitIgnored(normalized) && documented) return 'user-created';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The code the deployment files must agree with.

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}
const sourceText = sourceFiles(repoPath('src'))
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');
const envconfigText = sourceFiles(repoPath('node_modules/@temporalio/envconfig/lib'))
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');

const word = (name: string) => new RegExp(`\\b${name}\\b`);

/** Is the environment variable `name` read by our code (or the Temporal env-config it uses)? */
function codeReadsEnv(name: string): boolean {
  if (word(name).test(sourceText)) return true;
  if (name.startsWith('TEMPORAL_') && word(name).test(envconfigText)) return true;
  // `<NAME>_FILE` variants are usually derived from the base name at run time.
  const base = name.replace(/_FILE$/, '');
  return base !== name && word(base).test(sourceText) && /_FILE['"`]/.test(sourceText);
}

/**
 * The `key-rotator` subcommands the CLI defines: commander `.command('name ...')` /
 * `new Command('name')` calls under src/client and src/codec; if none are found (the CLI is written
 * differently), the file names in src/client/commands.
 */
function cliCommandNames(): Set<string> {
  const names = new Set<string>();
  const dirs = [repoPath('src/client'), repoPath('src/codec')].filter((dir) => existsSync(dir));
  for (const file of dirs.flatMap((dir) => sourceFiles(dir))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:\.command|new Command)\(\s*['"`]([a-z][a-z0-9-]*)/g)) {
      names.add(match[1]!);
    }
  }
  names.delete('key-rotator'); // the program itself
  const commandsDir = repoPath('src/client/commands');
  if (names.size === 0 && existsSync(commandsDir)) {
    for (const file of readdirSync(commandsDir)) names.add(file.replace(/\.(ts|js)$/, ''));
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile: instructions with line continuations joined.

const dockerfileInstructions = readDockerfileInstructions(readRepoFile('Dockerfile'));
const dockerfileStages = () => readDockerfileStages(readRepoFile('Dockerfile'));

/** Global `ARG NAME=default` values, used to resolve `FROM ${NAME}`. */
function dockerfileArgDefaults(): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const instruction of dockerfileInstructions) {
    if (instruction.keyword === 'FROM') break;
    if (instruction.keyword !== 'ARG') continue;
    const [name, value] = instruction.args.split('=');
    if (name && value) defaults.set(name, value);
  }
  return defaults;
}

/** `.dockerignore` semantics that matter here: globs, ancestors, last match wins, `!` re-includes. */
function isDockerIgnored(relative: string): boolean {
  const rules = readRepoFile('.dockerignore')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('')
        .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('')
        .replaceAll('[^/]*[^/]*', '.*');
      return { negated, regex: new RegExp(`^${source}$`) };
    });
  const segments = path.normalize(relative).split(path.sep);
  const candidates = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.regex.test(candidate))) ignored = !rule.negated;
  }
  return ignored;
}

function execForm(args: string): string[] {
  return z.array(z.string()).parse(JSON.parse(args));
}

/**
 * `name:tag@sha256:<64 hex>`: the digest fixes what is pulled, the tag tells a reader what it is.
 * (Every image here has one; an image that could not be pinned would need an explicit, commented
 * exception in the tests that use this.)
 */
const PINNED_IMAGE = /^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9_][A-Za-z0-9_.-]*@sha256:[0-9a-f]{64}$/;

/** Base images of the Dockerfile's stages that are not stages themselves, ARG defaults resolved. */
function dockerfileBaseImages(): string[] {
  const args = dockerfileArgDefaults();
  const stageNames = new Set<string>();
  const images = new Set<string>();
  for (const stage of dockerfileStages()) {
    const image = stage.from.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args.get(name) ?? '');
    if (!stageNames.has(image)) images.add(image);
    if (stage.name) stageNames.add(stage.name);
  }
  return [...images];
}

/** The Node.js version scripts/ensure-node.sh installs for CI. */
const ciNodeVersion = /^NODE_VERSION="(\d+\.\d+\.\d+)"/m.exec(readRepoFile('scripts/ensure-node.sh'))?.[1];

// ---------------------------------------------------------------------------------------------
// Commands run in the image that scripts/build-image-layout.ts builds (the Dockerfile's stages as
// folders, without Docker).

interface FinishedProcess {
  code: number | null;
  output: string;
}

/** A long-running command: started, waited for (bounded) until its output matches, stopped by SIGTERM. */
async function runUntilOutput(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; until: RegExp; timeoutMs: number },
): Promise<{ matched: string; stopped: FinishedProcess }> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forget = killOnExit(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const matched = await waitFor(async () => options.until.exec(output)?.[0], {
      timeoutMs: options.timeoutMs,
      what: `${options.until} in the output of ${args.join(' ')}`,
      abortIf: () => {
        if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}: ${output}`);
      },
    });
    child.kill('SIGTERM');
    return { matched, stopped: { code: await exited, output } };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    forget();
  }
}

/** The environment a command gets in the container: the image's ENV, no developer settings. */
function imageEnvironment(stage: BuiltStage, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cliEnvironment({ ...stage.env, ...extra });
}

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('gives every service an image or a build', () => {
    for (const [name, service] of services) {
      expect(service.image ?? service.build, `service ${name}`).toBeDefined();
    }
  });

  it('pins every pulled image by digest, with its tag beside it', () => {
    const pulled = services.filter(
      ([, s]) => s.build === undefined && s.image !== undefined && !ourImage.has(s.image),
    );
    expect(pulled.length).toBeGreaterThan(0);
    for (const [name, service] of pulled) {
      expect(service.image, `image of ${name}`).toMatch(PINNED_IMAGE);
      expect(service.image, `image of ${name}`).not.toMatch(/:latest@/);
    }
  });

  it('has no default for any password: .env or a secret file must supply each', () => {
    // `${NAME:-x}` or `${NAME-x}` would start the stack with a password everyone can read here.
    const text = readRepoFile('docker-compose.yml');
    for (const [expression, name, operator] of text.matchAll(/\$\{(\w+)(:?[-?+])?[^}]*\}/g)) {
      if (!/PASSWORD|PWD|TOKEN|SECRET/.test(name!)) continue;
      expect(operator, `${expression} must fail when unset (\${${name}:?message})`).toBe(':?');
    }
    let passwords = 0;
    for (const [name, service] of services) {
      for (const [variable, value] of environmentOf(service)) {
        if (/(PASSWORD|PWD)$/.test(variable)) {
          passwords += 1;
          expect(value, `${variable} of ${name}`).toMatch(/^\$\{\w+:\?[^}]+\}$/);
        } else if (/(PASSWORD|PWD)_FILE$/.test(variable)) {
          passwords += 1;
          expect(value, `${variable} of ${name}`).toMatch(/^\/run\/secrets\/[^/]+$/);
        }
      }
    }
    const database = services.find(([, s]) => s.image?.startsWith('postgres:'));
    expect(database, 'the PostgreSQL service').toBeDefined();
    const databaseEnv = environmentOf(database![1]);
    expect(databaseEnv.has('POSTGRES_PASSWORD') || databaseEnv.has('POSTGRES_PASSWORD_FILE')).toBe(true);
    expect(passwords).toBeGreaterThanOrEqual(3); // PostgreSQL, the server, the schema job
  });

  it('lists every value it requires in deploy/.env.example, empty, for a .env kept out of git and images', () => {
    const required = new Set(
      [...readRepoFile('docker-compose.yml').matchAll(/\$\{(\w+):\?/g)].map((match) => match[1]!),
    );
    expect(required.size).toBeGreaterThan(0);
    const example = readRepoFile('deploy/.env.example');
    for (const name of required) {
      expect(example, `${name} in deploy/.env.example`).toMatch(new RegExp(`^${name}=$`, 'm'));
    }
    expect(isGitIgnored('.env')).toBe(true);
    expect(isDockerIgnored('.env')).toBe(true);
    expect(isGitIgnored('deploy/.env.example')).toBe(false);
  });

  it('builds from a context and Dockerfile that exist', () => {
    for (const [name, service] of services) {
      if (service.build === undefined) continue;
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      const context = repoPath(build.context);
      expect(statSync(context).isDirectory(), `build context of ${name}`).toBe(true);
      expect(existsSync(path.join(context, build.dockerfile ?? 'Dockerfile')), `Dockerfile of ${name}`).toBe(
        true,
      );
    }
  });

  it('mounts only host paths that exist in the repository or are documented as user-created', () => {
    for (const [name, service] of services) {
      for (const source of bindSourcesOf(service)) {
        expect(hostPathVerdict(source), `bind mount ${source} of ${name}`).toBeDefined();
      }
    }
  });

  it('declares every named volume it mounts', () => {
    for (const [name, service] of services) {
      for (const volume of namedVolumesOf(service)) {
        expect(Object.keys(compose.volumes ?? {}), `volume ${volume} of ${name}`).toContain(volume);
      }
    }
  });

  it('reads secrets from files that are gitignored and documented in deploy/secrets/README.md', () => {
    const declared = compose.secrets ?? {};
    expect(Object.keys(declared).length).toBeGreaterThan(0);
    const secretFiles = [
      ...Object.entries(declared).map(([secret, { file }]) => ({ what: `secret ${secret}`, file })),
      ...services.flatMap(([name, s]) =>
        envFilesOf(s).map((file) => ({ what: `env_file of ${name}`, file })),
      ),
    ];
    for (const { what, file } of secretFiles) {
      const verdict = hostPathVerdict(file);
      expect(verdict, `${what} (${file})`).toBeDefined();
      if (verdict === 'exists') {
        // A secret file present in a checkout must still never be committed.
        expect(isGitIgnored(path.normalize(file)), `${file} must be gitignored`).toBe(true);
      }
    }
    for (const [name, service] of services) {
      for (const secret of secretNamesOf(service)) {
        expect(Object.keys(declared), `secret ${secret} of ${name}`).toContain(secret);
      }
    }
  });

  it('points /run/secrets paths in the environment at secrets the service mounts', () => {
    for (const [name, service] of services) {
      for (const [variable, value] of environmentOf(service)) {
        const match = /^\/run\/secrets\/([^/]+)$/.exec(value);
        if (match) expect(secretNamesOf(service), `${variable} of ${name}`).toContain(match[1]);
      }
    }
  });

  it('depends only on services it defines', () => {
    const names = Object.keys(compose.services);
    for (const [name, service] of services) {
      for (const dependency of dependenciesOf(service)) {
        expect(names, `depends_on of ${name}`).toContain(dependency);
      }
    }
  });

  it('runs our image only with commands the key-rotator CLI defines', () => {
    const known = cliCommandNames();
    expect(known.size, 'no CLI commands found under src/client').toBeGreaterThan(0);
    expect(ourServices.length).toBeGreaterThan(0);
    for (const [name, service] of ourServices) {
      const [command] = commandOf(service);
      if (command !== undefined) expect([...known], `command of ${name}`).toContain(command);
    }
  });

  it('sets only environment variables that the code spells the same way', () => {
    for (const [name, service] of ourServices) {
      for (const variable of environmentOf(service).keys()) {
        if (!/^(KEY_ROTATOR_|TEMPORAL_|OPENROUTER_)/.test(variable)) continue;
        expect(codeReadsEnv(variable), `${variable} of ${name} is not read anywhere in src/`).toBe(true);
      }
    }
  });

  it('names only KEY_ROTATOR_* variables, in comments and docs too, that the code reads', () => {
    const texts = ['docker-compose.yml', 'Dockerfile', 'deploy/secrets/README.md', 'docs/operations.md'];
    for (const file of texts) {
      for (const [variable] of readRepoFile(file).matchAll(/\bKEY_ROTATOR_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        expect(codeReadsEnv(variable), `${variable} in ${file} is not read anywhere in src/`).toBe(true);
      }
    }
  });

  it('gives the worker the same namespace the stack creates and the UI shows', () => {
    const namespaceJob = environmentOf(compose.services['temporal-create-namespace']!);
    const namespace = namespaceJob.get('TEMPORAL_NAMESPACE');
    expect(namespace).toBeTruthy();
    expect(environmentOf(compose.services.worker!).get('TEMPORAL_NAMESPACE')).toBe(namespace);
    expect(environmentOf(compose.services['temporal-ui']!).get('TEMPORAL_DEFAULT_NAMESPACE')).toBe(namespace);
  });

  it('points the Web UI at the codec server port the browser can reach', () => {
    const endpoint = new URL(environmentOf(compose.services['temporal-ui']!).get('TEMPORAL_CODEC_ENDPOINT')!);
    const codecServer = compose.services['codec-server']!;
    const command = commandOf(codecServer);
    const containerPort = command[command.indexOf('--port') + 1];
    expect(codecServer.ports?.map(String)).toContain(`127.0.0.1:${endpoint.port}:${containerPort}`);
    expect(['localhost', '127.0.0.1']).toContain(endpoint.hostname);
  });

  it('registers exactly the search attributes the workflows use, as Keyword, like the operations guide', () => {
    const expected = Object.keys(SEARCH_ATTRIBUTES).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(new Set(Object.values(SEARCH_ATTRIBUTES))).toEqual(new Set(['Keyword']));
    for (const file of ['deploy/temporal/create-namespace.sh', 'docs/operations.md']) {
      const text = readRepoFile(file);
      const loop = /for name in ([A-Za-z ]+); do/.exec(text);
      expect(loop, `search attribute loop in ${file}`).not.toBeNull();
      expect(loop![1]!.trim().split(/\s+/).sort(), file).toEqual(expected);
      expect(text, file).toContain('--type Keyword');
    }
  });
});

describe("docker-compose.yml read by Docker Compose's own loader (compose-go, scripts/go/compose-check)", () => {
  /** compose-check's exit code, resolved project (on success) and stderr. */
  async function composeCheck(envFileText: string) {
    const dir = mkdtempSync(path.join(tmpdir(), 'compose-check-'));
    const envFile = path.join(dir, '.env');
    writeFileSync(envFile, envFileText, { mode: 0o600 });
    try {
      const { stdout } = await run(
        goTestServer('compose-check'),
        ['--env-file', envFile, '--project-dir', root, repoPath('docker-compose.yml')],
        { maxBuffer: 16 << 20 },
      );
      const project = z
        .looseObject({ services: z.record(z.string(), z.looseObject({ environment: z.unknown() })) })
        .parse(JSON.parse(stdout));
      return { code: 0, project, stderr: '' };
    } catch (err) {
      const failed = err as { code?: number; stderr?: string };
      return { code: failed.code ?? -1, project: undefined, stderr: failed.stderr ?? String(err) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('loads with the values of deploy/.env.example filled in: schema valid, the 7 services of the stack', async () => {
    const filled = readRepoFile('deploy/.env.example').replace(
      /^(\w+)=$/gm,
      (_, name: string) => `${name}=${randomBytes(8).toString('hex')}`,
    );
    const { code, project, stderr } = await composeCheck(filled);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(Object.keys(project!.services).sort()).toEqual(Object.keys(compose.services).sort());
    expect(Object.keys(project!.services)).toHaveLength(7);
  });

  it('refuses to load with deploy/.env.example as it is, saying which value to set where', async () => {
    const { code, stderr } = await composeCheck(readRepoFile('deploy/.env.example'));
    expect(code).toBe(1);
    expect(stderr).toContain('required variable TEMPORAL_DB_PASSWORD is missing a value');
    expect(stderr).toContain('set TEMPORAL_DB_PASSWORD in .env');
  });
});

describe('deploy/', () => {
  it('ships an example rotations file that the config schema accepts', () => {
    const example = parseYaml(readRepoFile('deploy/config/rotations.example.yaml'));
    const result = configSchema.safeParse(example);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('keeps every file in deploy/secrets except the README out of git', () => {
    for (const file of readdirSync(repoPath('deploy/secrets'))) {
      if (file === 'README.md') continue;
      expect(isGitIgnored(path.join('deploy/secrets', file)), `deploy/secrets/${file}`).toBe(true);
    }
    expect(isGitIgnored('deploy/secrets/README.md')).toBe(false);
    expect(isGitIgnored('deploy/config/rotations.yaml')).toBe(true);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfileStages();
  const runtime = stages.at(-1)!;

  it('copies only sources that exist and that .dockerignore lets into the build context', () => {
    for (const stage of stages) {
      for (const { keyword, args } of stage.instructions) {
        if ((keyword !== 'COPY' && keyword !== 'ADD') || args.includes('--from=')) continue;
        const parts = args.split(/\s+/).filter((part) => !part.startsWith('--'));
        for (const source of parts.slice(0, -1)) {
          expect(existsSync(repoPath(source)), `COPY source ${source}`).toBe(true);
          expect(isDockerIgnored(source), `COPY source ${source} is excluded by .dockerignore`).toBe(false);
        }
      }
    }
  });

  it('keeps secrets and local state out of the build context', () => {
    for (const excluded of ['.git', 'node_modules', '.data', 'deploy/secrets/codec-keyring.json', '.env']) {
      expect(isDockerIgnored(excluded), excluded).toBe(true);
    }
  });

  it('refers only to stages defined above and to base images pinned by digest', () => {
    const images = dockerfileBaseImages();
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      expect(image, 'base image').toMatch(PINNED_IMAGE);
      expect(image).not.toMatch(/:latest@/);
    }
    const seen = new Set<string>();
    for (const stage of stages) {
      for (const { args: copyArgs } of stage.instructions.filter((i) => i.keyword === 'COPY')) {
        const from = /--from=(\S+)/.exec(copyArgs)?.[1];
        if (from !== undefined) expect([...seen], `COPY --from=${from}`).toContain(from);
      }
      if (stage.name) seen.add(stage.name);
    }
  });

  it('runs as a non-root user', () => {
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('starts the key-rotator CLI with the worker command by default', () => {
    const entrypoint = execForm(runtime.instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args);
    expect(entrypoint).toEqual(['node', 'bin/key-rotator.js']);
    expect(existsSync(repoPath(entrypoint[1]!)), 'bin/key-rotator.js').toBe(true);
    const command = execForm(runtime.instructions.find((i) => i.keyword === 'CMD')!.args);
    expect(command).toEqual(['worker']);
    expect([...cliCommandNames()]).toContain('worker');
  });

  it('points the worker at the workflow bundle the build stage writes', () => {
    const env = runtime.instructions
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    const bundle = /KEY_ROTATOR_WORKFLOW_BUNDLE=(\S+)/.exec(env)?.[1];
    expect(bundle).toBe('/app/dist/workflow-bundle.js');
    // dist/ comes from the stage that runs `npm run build`, which writes the bundle into dist/.
    const distFrom = /--from=(\S+)\s+\/app\/dist\s/.exec(
      runtime.instructions.find((i) => i.keyword === 'COPY' && /\/app\/dist\s/.test(i.args))?.args ?? '',
    )?.[1];
    const build = stages.find((s) => s.name === distFrom);
    expect(build?.instructions.some((i) => i.keyword === 'RUN' && i.args === 'npm run build')).toBe(true);
    const manifest = z
      .object({ scripts: z.object({ build: z.string() }) })
      .parse(JSON.parse(readRepoFile('package.json')));
    expect(manifest.scripts.build).toBe('tsx scripts/build-product.ts');
    expect(readRepoFile('scripts/build-product.ts')).toContain("'workflow-bundle.js'");
    expect(codeReadsEnv('KEY_ROTATOR_WORKFLOW_BUNDLE')).toBe(true);
  });

  it('ships no sources and no TypeScript tooling: the runtime stage copies dist/, not src/', () => {
    const copied = runtime.instructions
      .filter((i) => i.keyword === 'COPY')
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((part) => !part.startsWith('--'))
          .slice(0, -1),
      );
    expect(copied).toContain('/app/dist');
    for (const source of ['src', 'tsconfig.json', 'scripts']) {
      expect(
        copied.some((c) => c === source || c.startsWith(`${source}/`)),
        `COPY ${source}`,
      ).toBe(false);
    }
    const manifest = z
      .object({
        dependencies: z.record(z.string(), z.string()),
        devDependencies: z.record(z.string(), z.string()),
      })
      .parse(JSON.parse(readRepoFile('package.json')));
    for (const tool of ['tsx', 'typescript']) {
      expect(Object.keys(manifest.dependencies), `${tool} in dependencies`).not.toContain(tool);
      expect(Object.keys(manifest.devDependencies), `${tool} in devDependencies`).toContain(tool);
    }
  });
});

describe('the product build', () => {
  /** Relative import specifiers of a TypeScript file, resolved to repository paths (static and dynamic). */
  function importsOf(file: string): string[] {
    const text = readFileSync(repoPath(file), 'utf8');
    return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) =>
      path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]!)).replace(/\.js$/, '.ts'),
    );
  }
  const sourceFileNames = readdirSync(repoPath('src'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `src/${name.split(path.sep).join('/')}`);
  const buildConfig = z
    .object({ include: z.array(z.string()), exclude: z.array(z.string()) })
    .parse(JSON.parse(readRepoFile('tsconfig.build.json')));
  const toolFolders = buildConfig.exclude.map((folder) => `${folder.replace(/\/+$/, '')}/`);
  const isTool = (file: string) => toolFolders.some((folder) => file.startsWith(folder));

  it('leaves out the development tools, src/demo and src/dev', () => {
    expect(buildConfig.include).toEqual(['src/**/*.ts']);
    expect(toolFolders.sort()).toEqual(['src/demo/', 'src/dev/']);
  });

  it('imports nothing from test/ anywhere in src/, and no development tool from product code', () => {
    for (const file of sourceFileNames) {
      for (const imported of importsOf(file)) {
        expect(imported.startsWith('test/'), `${file} imports ${imported}`).toBe(false);
        if (!isTool(file)) expect(isTool(imported), `product file ${file} imports ${imported}`).toBe(false);
      }
    }
  });

  it('holds only modules the CLI, the worker or its workflow bundle use (demo-only code lives in src/demo)', () => {
    // bin/key-rotator.js runs the CLI, whose `worker` command loads src/worker/run-worker.ts; workers bundle
    // src/workflows/index.ts. A module none of them reaches is dead, or a tool in the wrong folder.
    const entryPoints = ['src/client/cli.ts', 'src/worker/run-worker.ts', 'src/workflows/index.ts'];
    // The public surface of their folders, imported by tests (and by embedding programs).
    const folderSurfaces = ['src/policy/index.ts', 'src/stores/index.ts'];
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file) || !existsSync(repoPath(file))) return;
      reached.add(file);
      importsOf(file).forEach(visit);
    };
    entryPoints.forEach(visit);
    const unreached = sourceFileNames.filter(
      (file) => !isTool(file) && !reached.has(file) && !folderSurfaces.includes(file),
    );
    expect(unreached).toEqual([]);
  });
});

describe('the image, assembled from the Dockerfile without Docker', () => {
  let root: string;
  let runtime: BuiltStage;
  let build: BuiltStage;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'image-layout-'));
    // The product build dominates (over a minute on a busy 2-core machine), so it is a script of its own.
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', repoPath('scripts/build-image-layout.ts'), root],
      { cwd: repoPath(), timeout: 900_000, maxBuffer: 64 << 20 },
    );
    const stages = z
      .record(z.string(), z.object({ dir: z.string(), env: z.record(z.string(), z.string()) }))
      .parse(JSON.parse(stdout.trim().split('\n').at(-1)!));
    runtime = stages.runtime!;
    build = stages.build!;
  }, 900_000);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('holds compiled JavaScript and production dependencies only: no src/, no demo or dev code, no tsx, no TypeScript', () => {
    const at = (...parts: string[]) => existsSync(path.join(runtime.dir, ...parts));
    expect(at('dist', 'client', 'cli.js')).toBe(true);
    expect(at('dist', 'worker', 'run-worker.js')).toBe(true);
    expect(
      at('dist', 'codec', 'encoded-failure-converter.cjs'),
      'the failure converter the SDK require()s',
    ).toBe(true);
    for (const absent of ['src', 'test', 'scripts', 'tsconfig.json', 'dist/demo', 'dist/dev']) {
      expect(at(absent), absent).toBe(false);
    }
    const typescriptFiles = readdirSync(path.join(runtime.dir, 'dist'), {
      recursive: true,
      encoding: 'utf8',
    }).filter((name) => name.endsWith('.ts'));
    expect(typescriptFiles).toEqual([]);
    for (const tool of ['tsx', 'typescript', 'vitest', 'esbuild']) {
      expect(at('node_modules', tool), `node_modules/${tool}`).toBe(false);
    }
    expect(at('node_modules', '@temporalio', 'worker')).toBe(true);
  });

  it('answers --help from dist/, with neither tsx nor src/', async () => {
    const { stdout, stderr } = await run(process.execPath, ['bin/key-rotator.js', '--help'], {
      cwd: runtime.dir,
      env: imageEnvironment(runtime, { KEY_ROTATOR_SHOW_LAUNCH: '1' }),
      timeout: 60_000,
    });
    expect(stderr).toContain('key-rotator: running dist/client/cli.js (compiled): no src/ beside it');
    expect(stdout).toMatch(/^\s+worker\b/m);
  });

  it('runs the worker from dist/ and the prebuilt workflow bundle until it polls Temporal, and stops on SIGTERM', async () => {
    expect(existsSync(runtime.env.KEY_ROTATOR_WORKFLOW_BUNDLE!), 'KEY_ROTATOR_WORKFLOW_BUNDLE').toBe(true);
    // A namespace and task queue of its own: this worker must not take other tests' tasks.
    const namespace = await createTestNamespace('image-worker');
    const { stopped } = await runUntilOutput(['bin/key-rotator.js', 'worker'], {
      cwd: runtime.dir,
      env: imageEnvironment(runtime, {
        TEMPORAL_NAMESPACE: namespace,
        KEY_ROTATOR_TASK_QUEUE: uniqueName('image-worker'),
        // Stopped right after it polls: making its version current would race the stop.
        KEY_ROTATOR_SET_CURRENT_VERSION: 'false',
      }),
      until: /polling task queue/,
      timeoutMs: 90_000,
    });
    expect(stopped.code, stopped.output).toBe(0);
    // The prebuilt bundle was used: a worker that bundles at start-up logs webpack's summary.
    expect(stopped.output).not.toMatch(/webpack|Workflow bundle created/);
  }, 150_000);

  it('runs the OpenRouter emulator it ships on purpose (see the Dockerfile)', async () => {
    const { matched, stopped } = await runUntilOutput(['bin/key-rotator.js', 'emulator', '--port', '0'], {
      cwd: runtime.dir,
      env: imageEnvironment(runtime, { HOME: root }),
      until: /OpenRouter emulator listening on http:\/\/127\.0\.0\.1:\d+\/api\/v1/,
      timeoutMs: 60_000,
    });
    expect(matched).toBeTruthy();
    expect(stopped.code, stopped.output).toBe(0);
  });

  describe('bin/key-rotator.js in a checkout (the build stage: src/, dist/ just built, every dependency)', () => {
    const launch = async () => {
      const { stdout, stderr } = await run(process.execPath, ['bin/key-rotator.js', '--help'], {
        cwd: build.dir,
        env: { ...cliEnvironment(), KEY_ROTATOR_SHOW_LAUNCH: '1' },
        timeout: 90_000,
      });
      expect(stdout).toMatch(/^\s+worker\b/m);
      return stderr.trim();
    };

    beforeAll(async () => {
      await run('cp', ['-a', repoPath('bin'), path.join(build.dir, 'bin')]);
    });

    it('runs dist/ while the build is current', async () => {
      expect(await launch()).toBe('key-rotator: running dist/client/cli.js (compiled): the build is current');
    });

    it('runs the sources through tsx once a source file is newer than the build', async () => {
      const file = path.join(build.dir, 'src', 'errors', 'redact.ts');
      const { atime, mtime } = statSync(file);
      utimesSync(file, atime, new Date());
      try {
        expect(await launch()).toMatch(
          /^key-rotator: running src\/client\/cli\.ts through tsx: the build in dist\/ is stale: src\/ changed after the build/,
        );
      } finally {
        utimesSync(file, atime, mtime);
      }
      expect(await launch()).toContain('(compiled)');
    });

    it('runs the sources once a source file was deleted after the build', async () => {
      // Only `key-rotator emulator` loads this file, so --help still runs from the sources.
      const folder = path.join(build.dir, 'src', 'emulator');
      const file = path.join(folder, 'prng.ts');
      const folderTimes = statSync(folder);
      const fileTimes = statSync(file);
      const text = readFileSync(file);
      rmSync(file);
      try {
        expect(await launch()).toMatch(
          /through tsx: the build in dist\/ is stale: src\/ changed after the build/,
        );
      } finally {
        writeFileSync(file, text);
        utimesSync(file, fileTimes.atime, fileTimes.mtime);
        utimesSync(folder, folderTimes.atime, folderTimes.mtime);
      }
    });

    it('runs the sources when there is no build', async () => {
      const dist = path.join(build.dir, 'dist');
      renameSync(dist, `${dist}-away`);
      try {
        expect(await launch()).toBe('key-rotator: running src/client/cli.ts through tsx: no build in dist/');
      } finally {
        renameSync(`${dist}-away`, dist);
      }
    });
  });
});

describe('Node.js 24', () => {
  it('is what package.json asks for, and the lock file says the same', () => {
    const manifest = z
      .object({ engines: z.object({ node: z.string() }) })
      .parse(JSON.parse(readRepoFile('package.json')));
    expect(manifest.engines.node).toBe('>=24');
    const lock = z
      .object({ packages: z.record(z.string(), z.looseObject({ engines: z.unknown().optional() })) })
      .parse(JSON.parse(readRepoFile('package-lock.json')));
    expect(lock.packages['']?.engines).toEqual(manifest.engines);
  });

  it('is the base of the image, at the version CI installs', () => {
    expect(ciNodeVersion, 'NODE_VERSION in scripts/ensure-node.sh').toMatch(/^24\./);
    const images = dockerfileBaseImages();
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      const version = /^node:(\d+\.\d+\.\d+)-/.exec(image)?.[1];
      expect(version, `${image}: a node image with a full version in its tag`).toBeDefined();
      expect(version, image).toBe(ciNodeVersion);
    }
  });

  it('is installed by .ci/run and first on PATH before npm ci and npm test', () => {
    const lines = readRepoFile('.ci/run').split('\n');
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    const install = at(/^(\w+)="\$\(bash scripts\/ensure-node\.sh \| tail -n 1\)"$/);
    expect(install, 'bin dir from scripts/ensure-node.sh').toBeGreaterThanOrEqual(0);
    const binVariable = /^(\w+)=/.exec(lines[install]!)![1]!;
    const onPath = at(new RegExp(`^export PATH="\\$\\{?${binVariable}\\}?:\\$PATH"`));
    expect(onPath, `export PATH="$${binVariable}:$PATH"`).toBeGreaterThan(install);
    expect(at(/^npm ci\b/)).toBeGreaterThan(onPath);
    expect(at(/^npm test\b/)).toBeGreaterThan(onPath);
    const printsVersion = lines.slice(onPath + 1).some((line) => /\bnode --version\b/.test(line));
    expect(printsVersion, 'prints node --version once Node 24 is on PATH').toBe(true);
  });

  it('comes from scripts/ensure-node.sh, pinned, and a second run uses the cached copy', async () => {
    const ensure = () =>
      run('bash', [repoPath('scripts/ensure-node.sh')], { cwd: root, timeout: 300_000, env: process.env });
    await ensure(); // installs it when this machine has not yet
    const { stdout, stderr } = await ensure();
    const binDir = stdout.trim().split('\n').at(-1)!;
    expect(stderr).toContain('(cached)');
    const { stdout: version } = await run(path.join(binDir, 'node'), ['--version']);
    expect(version.trim()).toBe(`v${ciNodeVersion}`);
  }, 320_000);
});

describe('the codec server as docker-compose.yml runs it', () => {
  const codecServers = ourServices.filter(([, s]) => commandOf(s)[0] === 'codec-server');
  const [serviceName, service] = codecServers[0] ?? ['(none)', undefined];
  const token = randomBytes(24).toString('hex');
  let secretsDir: string;
  let server: ServerProcess | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    if (service === undefined) return;
    // The compose environment, with each /run/secrets/<name> replaced by a file holding what the
    // variable that names it expects; the developer's own KEY_ROTATOR_* settings blanked out.
    secretsDir = mkdtempSync(path.join(tmpdir(), 'compose-codec-'));
    const secretContent: Record<string, string> = {
      KEY_ROTATOR_CODEC_KEY_FILE: JSON.stringify({
        active: 'k1',
        keys: { k1: randomBytes(32).toString('base64') },
      }),
      KEY_ROTATOR_CODEC_SERVER_TOKEN_FILE: `${token}\n`,
    };
    const env: Record<string, string> = {};
    for (const name of Object.keys(process.env)) if (name.startsWith('KEY_ROTATOR_')) env[name] = '';
    for (const [variable, value] of environmentOf(service)) {
      const secret = /^\/run\/secrets\/([^/]+)$/.exec(value)?.[1];
      if (secret === undefined) {
        env[variable] = value;
        continue;
      }
      const content = secretContent[variable];
      if (content === undefined) throw new Error(`this test does not know what ${variable} holds`);
      const file = path.join(secretsDir, secret);
      writeFileSync(file, content, { mode: 0o600 });
      env[variable] = file;
    }
    const port = await findFreePort();
    const command = commandOf(service).map((arg, i, all) => (all[i - 1] === '--port' ? String(port) : arg));
    baseUrl = `http://127.0.0.1:${port}`;
    server = await startServerProcess({
      binary: process.execPath,
      args: [repoPath('bin/key-rotator.js'), ...command],
      env,
      what: `codec server of ${serviceName} at ${baseUrl}`,
      ready: async () => {
        await fetch(`${baseUrl}/decode`, { method: 'POST' });
        return true;
      },
      startTimeoutMs: 60_000,
    });
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
  });

  it('reads its bearer token from a secret file, with no way to serve without one', () => {
    expect(codecServers.map(([name]) => name)).toEqual([serviceName]);
    for (const [name, s] of services) {
      const env = environmentOf(s);
      expect(env.has('KEY_ROTATOR_CODEC_SERVER_ALLOW_UNAUTHENTICATED'), `opt-out in ${name}`).toBe(false);
      // A token written in the compose file would be in git.
      expect(env.has('KEY_ROTATOR_CODEC_SERVER_TOKEN'), `inline token in ${name}`).toBe(false);
    }
    const tokenFile = environmentOf(service!).get('KEY_ROTATOR_CODEC_SERVER_TOKEN_FILE');
    const secret = /^\/run\/secrets\/([^/]+)$/.exec(tokenFile ?? '')?.[1];
    expect(secret, 'KEY_ROTATOR_CODEC_SERVER_TOKEN_FILE=/run/secrets/<name>').toBeDefined();
    expect(secretNamesOf(service!)).toContain(secret);
    expect(secretsReadme).toContain(path.basename(compose.secrets![secret!]!.file));
  });

  it('never gets the sealing keyring, which the worker has, and keeps /encode off even for the token', async () => {
    const worker = compose.services.worker!;
    const sealingFile = environmentOf(worker).get('KEY_ROTATOR_SEALING_KEY_FILE');
    const sealingSecret = /^\/run\/secrets\/([^/]+)$/.exec(sealingFile ?? '')?.[1];
    expect(sealingSecret, 'the worker: KEY_ROTATOR_SEALING_KEY_FILE=/run/secrets/<name>').toBeDefined();
    expect(secretNamesOf(worker)).toContain(sealingSecret);
    expect(secretsReadme).toContain(path.basename(compose.secrets![sealingSecret!]!.file));
    const env = environmentOf(service!);
    expect(env.has('KEY_ROTATOR_SEALING_KEY') || env.has('KEY_ROTATOR_SEALING_KEY_FILE')).toBe(false);
    expect(secretNamesOf(service!)).not.toContain(sealingSecret);
    expect(env.has('KEY_ROTATOR_CODEC_SERVER_ENCODE_TOKEN_FILE')).toBe(false);
    const encode = await fetch(`${baseUrl}/encode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ payloads: [] }),
    });
    expect(encode.status).toBe(403);
  });

  it('answers only callers that present the bearer token', async () => {
    const decode = (authorization?: string) =>
      fetch(`${baseUrl}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ payloads: [] }),
      });
    expect((await decode()).status).toBe(401);
    expect((await decode(`Bearer ${token.slice(1)}`)).status).toBe(401);
    const allowed = await decode(`Bearer ${token}`);
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ payloads: [] });
  });
});

describe('the container health probe (deploy/healthcheck.js)', () => {
  let metrics: Server;
  let metricsPort: number;

  beforeAll(async () => {
    metrics = createServer((request, response) => {
      response.writeHead(request.url === '/metrics' ? 200 : 404).end('# metrics\n');
    });
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    metricsPort = (metrics.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => metrics.close(resolve));
  });

  async function probe(args: string[], env: Record<string, string> = {}): Promise<number> {
    const { KEY_ROTATOR_METRICS_ADDRESS: _ignored, ...inherited } = process.env;
    try {
      await run(process.execPath, [repoPath('deploy/healthcheck.js'), ...args], {
        env: { ...inherited, ...env },
        timeout: 20_000,
      });
      return 0;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return typeof code === 'number' ? code : -1;
    }
  }

  it('reports healthy when the worker serves metrics on a wildcard bind address', async () => {
    expect(await probe([], { KEY_ROTATOR_METRICS_ADDRESS: `0.0.0.0:${metricsPort}` })).toBe(0);
  });

  it('reports unhealthy when nothing serves metrics', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await probe([], { KEY_ROTATOR_METRICS_ADDRESS: `127.0.0.1:${port}` })).toBe(1);
  });

  it('reports healthy without a metrics address, when there is nothing to probe', async () => {
    expect(await probe([])).toBe(0);
  });

  it('checks a TCP port for services without metrics', async () => {
    expect(await probe(['--tcp', String(metricsPort)])).toBe(0);
  });
});

describe('the namespace job (deploy/temporal/create-namespace.sh)', () => {
  let toolsDir: string;

  beforeAll(() => {
    // The admin-tools image has `temporal` and `nc`; here: the test's CLI and a tiny nc stand-in.
    toolsDir = mkdtempSync(path.join(tmpdir(), 'namespace-job-'));
    const nc = path.join(toolsDir, 'nc');
    writeFileSync(
      nc,
      `#!${process.execPath}\n` +
        'const [host, port] = process.argv.slice(-2);\n' +
        "const socket = require('node:net').connect({ host, port: Number(port), timeout: 10000 });\n" +
        "socket.on('connect', () => process.exit(0));\n" +
        "socket.on('error', () => process.exit(1));\n" +
        "socket.on('timeout', () => process.exit(1));\n",
    );
    chmodSync(nc, 0o755);
  });
  afterAll(() => {
    rmSync(toolsDir, { recursive: true, force: true });
  });

  it('creates the namespace with the search attributes, and can run again', async () => {
    const cli = inject('temporalCliPath');
    const address = inject('temporalAddress');
    const namespace = `deploy-test-${Date.now()}`;
    const env = {
      ...process.env,
      PATH: [toolsDir, path.dirname(cli), process.env.PATH].join(path.delimiter),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      NAMESPACE_RETENTION: '2d',
    };
    const script = repoPath('deploy/temporal/create-namespace.sh');
    await run('sh', [script], { env, timeout: 90_000 });
    const again = await run('sh', [script], { env, timeout: 90_000 });
    expect(again.stdout).toContain(`namespace ${namespace} exists`);

    const { stdout } = await run(cli, [
      'operator',
      'search-attribute',
      'list',
      '--namespace',
      namespace,
      '--address',
      address,
      '--output',
      'json',
    ]);
    const listed = z.object({ customAttributes: z.record(z.string(), z.string()) }).parse(JSON.parse(stdout));
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) {
      expect(listed.customAttributes[name], name).toMatch(/KEYWORD/i);
    }
  });

  it('is valid POSIX sh, like the schema job', async () => {
    for (const script of ['deploy/temporal/create-namespace.sh', 'deploy/temporal/setup-postgres.sh']) {
      await expect(run('sh', ['-n', repoPath(script)])).resolves.toBeDefined();
    }
  });
});
