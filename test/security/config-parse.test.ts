/**
 * Whatever rotations.yaml holds, the outcome is a clear ConfigFileError naming the file (exit 2
 * through the CLI), quickly: an alias bomb ("billion laughs"), nesting the parser cannot follow, a
 * file far too large, a device that never ends. Never a crash, a stack trace or a hang.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../src/config-files/config-file-error.js';
import { loadConfig, MAX_CONFIG_BYTES, parseConfig } from '../../src/config/load-config.js';
import { runKeyRotator } from '../support/cli.js';

/** Nine lines that expand to 9^9 (387 million) strings if every alias is followed. */
const ALIAS_BOMB = `version: 1
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
rotations: *h
`;

const BOMB_MESSAGE =
  'invalid YAML: it expands aliases (*name) more than 100 times, as an alias bomb ("billion laughs") does; ' +
  'write the values out or use fewer aliases';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'security-config-parse-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The ConfigFileError `call` threw (fails the test on anything else). */
async function configFileErrorOf(call: () => unknown): Promise<ConfigFileError> {
  try {
    await call();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return err as ConfigFileError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('parsing a hostile rotations.yaml', () => {
  // Unbounded, the bomb expands to billions of nodes and never finishes: the test timeout is the bound.
  it('refuses an alias bomb, naming the file', { timeout: 20_000 }, async () => {
    const error = await configFileErrorOf(() => parseConfig(ALIAS_BOMB, 'rotations.yaml'));

    expect(error.file).toBe('rotations.yaml');
    expect(error.issues).toEqual([{ path: '', message: BOMB_MESSAGE }]);
  });

  it('still expands ordinary anchors shared between rotations', async () => {
    const rotation = (name: string) => `  - name: ${name}
    openrouter: { key: { name: ${name} } }
    schedule: *schedule
    destinations: [{ type: file, path: secrets/${name}.env }]
`;
    const text = `version: 1
x-schedule: &schedule { intervalDays: 30, rotateAt: "03:00" }
rotations:
${Array.from({ length: 50 }, (_, i) => rotation(`app-${i}`)).join('')}`;

    const error = await configFileErrorOf(() => parseConfig(text, 'rotations.yaml'));

    // Only the extra top-level field is wrong: every alias was expanded.
    expect(error.issues).toEqual([expect.objectContaining({ path: 'x-schedule' })]);
  });

  it('reports nesting too deep for the parser as invalid YAML', async () => {
    const depth = 2_000;
    const error = await configFileErrorOf(() =>
      parseConfig(`${'['.repeat(depth)}${']'.repeat(depth)}`, 'deep.yaml'),
    );

    expect(error.file).toBe('deep.yaml');
    expect(error.issues[0]?.message).toMatch(/^invalid YAML: /);
  });

  it('refuses text larger than 1 MiB before parsing it', async () => {
    const text = `version: 1\n${'#'.repeat(MAX_CONFIG_BYTES)}\n`;

    const error = await configFileErrorOf(() => parseConfig(text, 'huge.yaml'));

    expect(error.issues).toEqual([
      {
        path: '',
        message: 'the file is larger than 1 MiB, the most a configuration file may be; is it the right file?',
      },
    ]);
  });

  it('refuses a file larger than 1 MiB, and a device that never ends, without reading them whole', async () => {
    const file = path.join(dir, 'huge.yaml');
    await writeFile(file, `version: 1\n${'#'.repeat(MAX_CONFIG_BYTES)}\n`);

    for (const source of [file, '/dev/zero']) {
      const error = await configFileErrorOf(() => loadConfig(source));
      expect(error.file).toBe(source);
      expect(error.issues[0]?.message).toMatch(/^the file is larger than 1 MiB/);
    }
  });

  it('reads a file of exactly 1 MiB', async () => {
    const file = path.join(dir, 'full.yaml');
    const head = 'version: 1\nrotations: []\n';
    await writeFile(file, `${head}${'#'.repeat(MAX_CONFIG_BYTES - head.length)}`);

    expect(await loadConfig(file)).toEqual({ version: 1, rotations: [] });
  });
});

describe('key-rotator apply with an alias bomb', () => {
  it('exits 2 naming the file, without a stack trace', async () => {
    const file = path.join(dir, 'rotations-bomb.yaml');
    await writeFile(file, ALIAS_BOMB);

    // Unbounded expansion would outlast this timeout by far; no wall-clock comparison (shared machine).
    const run = await runKeyRotator(['apply', '-f', file, '--dry-run'], { timeoutMs: 30_000 });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}: 1 problem`);
    expect(run.stderr).toContain(BOMB_MESSAGE);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
