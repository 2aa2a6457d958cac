/**
 * The Docker image without Docker: every stage of the Dockerfile built into a folder of its own
 * (`/app`, the WORKDIR, maps to that folder), its COPY instructions copying files, and each RUN
 * done as it would be in the image: the dependencies taken from this checkout's node_modules (all
 * of them, or only those package-lock.json does not mark `dev`, as `npm ci --omit=dev` installs),
 * and `npm run build` run for real. A RUN it does not know stops it: teach it the new command.
 * test/deployment-files.test.ts runs what it builds; so can a developer:
 *
 *   npx tsx scripts/build-image-layout.ts /tmp/image && node /tmp/image/runtime/bin/key-rotator.js --help
 *
 * The last line printed is JSON: each stage's folder and ENV (`/app` paths mapped into the folder),
 * by stage name, the last stage also as `runtime`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const APP_DIR = '/app';

export interface DockerInstruction {
  /** Upper case, e.g. `COPY`. */
  keyword: string;
  args: string;
}

export interface DockerStage {
  name?: string;
  from: string;
  instructions: DockerInstruction[];
}

/** The instructions of a Dockerfile, line continuations joined, comments dropped. */
export function readDockerfileInstructions(text: string): DockerInstruction[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.search(/\s/);
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

/** The build stages of a Dockerfile, in order. */
export function readDockerfileStages(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  for (const instruction of readDockerfileInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`cannot read FROM ${instruction.args}`);
      stages.push({ from: match[1]!, name: match[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

export interface BuiltStage {
  /** The folder `/app` maps to. */
  dir: string;
  /** ENV of the stage, `/app` paths mapped into `dir`. */
  env: Record<string, string>;
}

export interface ImageLayoutOptions {
  /** The build context, with the Dockerfile and an installed node_modules. */
  context: string;
  /** Where the stages' folders go (one per stage, named after it). */
  outDir: string;
}

/**
 * Copies a file or folder (a folder's content merges into `target`, as COPY does). Hard links for
 * large trees that are only read (dependencies, other stages' output), a plain copy when the file
 * system refuses them.
 */
async function copyInto(source: string, target: string, hardLinks = false): Promise<void> {
  const folder = statSync(source).isDirectory();
  mkdirSync(folder ? target : path.dirname(target), { recursive: true });
  const from = folder ? `${source}/.` : source;
  try {
    await run('cp', [hardLinks ? '-al' : '-a', from, target]);
  } catch (err) {
    if (!hardLinks) throw err;
    await run('cp', ['-a', from, target]);
  }
}

/** `npm ci --omit=dev`: the packages package-lock.json does not mark `dev`, from the context's node_modules. */
async function installProductionDependencies(dir: string, context: string): Promise<void> {
  const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean }>;
  };
  for (const [location, entry] of Object.entries(lock.packages)) {
    // Top-level packages only: nested node_modules come along with their parent.
    if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(location) || entry.dev) continue;
    const installed = path.join(context, location);
    if (!existsSync(installed)) {
      // Optional packages for another platform (another CPU's native binary) are not installed.
      if (entry.optional) continue;
      throw new Error(`${location} is not installed in ${context}: run npm ci there first`);
    }
    await copyInto(installed, path.join(dir, location), true);
  }
}

/** How each RUN of the Dockerfile is done here, by the command as written. */
const RUN_SIMULATIONS: [RegExp, (dir: string, context: string) => Promise<void>][] = [
  [/^npm ci --omit=dev\b/, installProductionDependencies],
  // Build stages get every dependency, as the checkout has them.
  [
    /^npm ci\b/,
    async (dir, context) => symlinkSync(path.join(context, 'node_modules'), path.join(dir, 'node_modules')),
  ],
  [
    /^npm run build$/,
    async (dir) =>
      void (await run('npm', ['run', 'build'], { cwd: dir, timeout: 900_000, maxBuffer: 64 << 20 })),
  ],
  // Outside /app: nothing to do here.
  [/^mkdir -p \/data && chown node:node \/data$/, async () => {}],
];

function inStage(stage: BuiltStage, imagePath: string): string {
  const relative = path.posix.relative(APP_DIR, path.posix.resolve(APP_DIR, imagePath));
  if (relative.startsWith('..'))
    throw new Error(`${imagePath} is outside ${APP_DIR}, the only folder mapped here`);
  return path.join(stage.dir, relative);
}

/** Builds every stage of `<context>/Dockerfile` under `outDir`; returns them by name, the last also as `runtime`. */
export async function buildImageLayout(options: ImageLayoutOptions): Promise<Record<string, BuiltStage>> {
  const built: Record<string, BuiltStage> = {};
  const stages = readDockerfileStages(readFileSync(path.join(options.context, 'Dockerfile'), 'utf8'));
  for (const [index, stage] of stages.entries()) {
    const parent = built[stage.from];
    const current: BuiltStage = {
      dir: path.join(options.outDir, stage.name ?? `stage-${index}`),
      env: { ...parent?.env },
    };
    rmSync(current.dir, { recursive: true, force: true });
    if (parent) await copyInto(parent.dir, current.dir);
    else mkdirSync(current.dir, { recursive: true });
    for (const { keyword, args } of stage.instructions) {
      if (keyword === 'WORKDIR' && args !== APP_DIR) {
        throw new Error(`WORKDIR ${args}: only ${APP_DIR} is mapped here`);
      } else if (keyword === 'ENV') {
        for (const [, name, value] of args.matchAll(/(\w+)=(\S+)/g)) {
          current.env[name!] = value!.startsWith(`${APP_DIR}/`) ? inStage(current, value!) : value!;
        }
      } else if (keyword === 'COPY') {
        const from = /--from=(\S+)/.exec(args)?.[1];
        const parts = args.split(/\s+/).filter((part) => !part.startsWith('--'));
        const destination = parts.at(-1)!;
        const sources = parts.slice(0, -1);
        const intoFolder = destination.endsWith('/') || sources.length > 1;
        for (const source of sources) {
          const fromStage = from === undefined ? undefined : built[from];
          if (from !== undefined && !fromStage) throw new Error(`COPY --from=${from}: no such stage above`);
          const sourcePath = fromStage ? inStage(fromStage, source) : path.join(options.context, source);
          const target = inStage(
            current,
            intoFolder ? path.posix.join(destination, path.basename(source)) : destination,
          );
          await copyInto(sourcePath, target, fromStage !== undefined);
        }
      } else if (keyword === 'RUN') {
        const simulation = RUN_SIMULATIONS.find(([pattern]) => pattern.test(args));
        if (!simulation) throw new Error(`RUN ${args}: not known here; add it to RUN_SIMULATIONS`);
        await simulation[1](current.dir, options.context);
      }
    }
    if (stage.name) built[stage.name] = current;
    if (index === stages.length - 1) built.runtime = current;
  }
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: tsx scripts/build-image-layout.ts <out-dir>');
    process.exit(2);
  }
  const context = fileURLToPath(new URL('..', import.meta.url));
  buildImageLayout({ context, outDir: path.resolve(outDir) })
    .then((stages) => console.log(JSON.stringify(stages)))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
