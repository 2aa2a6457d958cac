/**
 * A dotenv destination is safe to `source`: whatever the value holds, a shell that sources the
 * file runs nothing and sees exactly the value, and the store reads back what it wrote. Only
 * variable names a shell can read are accepted as the file's `field`.
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../src/config-files/config-file-error.js';
import { parseConfig } from '../../src/config/load-config.js';
import { readDotenvValue, setDotenvValue } from '../../src/stores/dotenv-format.js';
import { FileSecretStore } from '../../src/stores/file/index.js';

const run = promisify(execFile);
const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const TOKEN = { idempotencyToken: 'rotation-test-0001-dotenv-0000000000000' };
/** Shells that must read the file the same way; `sh` is dash here, bash is what most people have. */
const SHELLS = ['sh', 'bash'];

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'security-dotenv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A value that tries every way a shell could be made to run something. */
function hostileValue(marker: string): string {
  return [
    `sk-$(touch ${marker}-dollar)`,
    `\`touch ${marker}-backtick\``,
    `"double" 'single' '\\'' \\ $HOME \${HOME} $((1+1))`,
    `; touch ${marker}-semicolon`,
    `' ; touch ${marker}-quote-break ; '`,
    `"; touch ${marker}-dq-break; "`,
    'last line with a trailing newline',
    '',
  ].join('\n');
}

function freshFile(): string {
  return path.join(dir, `case-${++counter}.env`);
}

function fileStore(file: string): FileSecretStore {
  return new FileSecretStore({ type: 'file', path: file, format: 'dotenv', field: 'OPENROUTER_API_KEY' });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** What `shell` sees in $OPENROUTER_API_KEY after sourcing `file` (printed with printf %s, byte for byte). */
async function sourcedValue(shell: string, file: string): Promise<string> {
  const { stdout } = await run(shell, ['-c', '. "$1"; printf %s "$OPENROUTER_API_KEY"', shell, file], {
    cwd: dir,
  });
  return stdout;
}

async function markersCreated(marker: string): Promise<string[]> {
  const suffixes = ['dollar', 'backtick', 'semicolon', 'quote-break', 'dq-break'];
  const created: string[] = [];
  for (const suffix of suffixes) if (await exists(`${marker}-${suffix}`)) created.push(suffix);
  return created;
}

describe('dotenv files are safe to source', () => {
  it.each(SHELLS)(
    '%s sourcing a written value runs nothing and sees exactly the value; the store reads it back',
    async (shell) => {
      const file = freshFile();
      const marker = path.join(dir, `marker-${counter}`);
      const value = hostileValue(marker);
      await writeFile(
        file,
        `# app settings\nDATABASE_URL=postgres://db/app\nOPENROUTER_API_KEY=${OLD_KEY}\n`,
      );
      const store = fileStore(file);

      await store.write(value, TOKEN);

      expect(await sourcedValue(shell, file)).toBe(value);
      expect(await markersCreated(marker)).toEqual([]);
      expect((await store.read())?.value).toBe(value);
      const content = await readFile(file, 'utf8');
      expect(content.startsWith('# app settings\nDATABASE_URL=postgres://db/app\nOPENROUTER_API_KEY=')).toBe(
        true,
      );
    },
  );

  it('replaces a multi-line value completely on the next write and keeps the lines after it', async () => {
    const file = freshFile();
    const marker = path.join(dir, `marker-${counter}`);
    await writeFile(file, `OPENROUTER_API_KEY=${OLD_KEY}\nAFTER=kept\n`);
    const store = fileStore(file);

    await store.write(hostileValue(marker), TOKEN);
    await store.write(OLD_KEY, TOKEN);

    expect(await readFile(file, 'utf8')).toBe(`OPENROUTER_API_KEY=${OLD_KEY}\nAFTER=kept\n`);
    expect(await sourcedValue('sh', file)).toBe(OLD_KEY);
    expect(await markersCreated(marker)).toEqual([]);
  });

  it('rewrites a double-quoted value from the earlier writer as a safe one, after reading it', async () => {
    const file = freshFile();
    const marker = path.join(dir, `marker-${counter}`);
    // What the earlier writer produced for a value with a newline, quotes and `$(...)`.
    const earlier = `sk-old "quoted" $(touch ${marker}-dollar)\nsecond line`;
    await writeFile(
      file,
      `export OPENROUTER_API_KEY="sk-old \\"quoted\\" $(touch ${marker}-dollar)\\nsecond line" # rotated\n`,
    );
    const store = fileStore(file);

    expect((await store.read())?.value).toBe(earlier);
    const next = `${earlier}\nthird line`;
    await store.write(next, TOKEN);

    expect(await readFile(file, 'utf8')).toMatch(/^export OPENROUTER_API_KEY='sk-old "quoted" \$\(touch /);
    expect(await readFile(file, 'utf8')).toMatch(/' # rotated\n$/);
    expect(await sourcedValue('sh', file)).toBe(next);
    expect(await markersCreated(marker)).toEqual([]);
    expect((await store.read())?.value).toBe(next);
  });

  it('reads back every value it writes, in files with CRLF endings too', () => {
    const values = [
      "it's",
      "''",
      "'",
      "a'b'c",
      '\\',
      "\\'",
      'x\r\ny',
      '$(x)',
      '`x`',
      'a b # c',
      ' lead',
      'trail ',
    ];
    for (const base of ['', 'A=1\n', 'A=1\r\nB=2\r\n']) {
      for (const value of values) {
        const content = setDotenvValue(base, 'K', value);
        expect(readDotenvValue(content, 'K')).toBe(value);
        expect(readDotenvValue(content, 'A')).toBe(base === '' ? undefined : '1');
        expect(readDotenvValue(setDotenvValue(content, 'K', 'plain'), 'K')).toBe('plain');
      }
    }
  });

  it('refuses to write a name a shell would not read as a variable', () => {
    expect(() => setDotenvValue('', 'A-B', 'x')).toThrow(/not a variable name/);
    expect(() => setDotenvValue('', '$(touch x)', 'x')).toThrow(/not a variable name/);
  });
});

describe('the field of a file destination', () => {
  function configWithField(field: string): string {
    return `version: 1
rotations:
  - name: checkout-prod
    openrouter:
      key:
        name: checkout
    schedule:
      intervalDays: 30
    destinations:
      - type: file
        path: secrets/checkout.env
        field: ${JSON.stringify(field)}
`;
  }

  it.each(['OPENROUTER-API-KEY', '$(touch x)', 'KEY; touch x', '1KEY', 'a.b'])(
    'must be a variable name: %s is refused with its place in the file',
    (field) => {
      let error: unknown;
      try {
        parseConfig(configWithField(field), 'rotations.yaml');
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigFileError);
      expect((error as ConfigFileError).issues).toContainEqual(
        expect.objectContaining({
          path: 'rotations[0].destinations[0].field',
          message: 'expected a variable name (letters, digits, _; no leading digit)',
        }),
      );
    },
  );

  it('accepts ordinary variable names', () => {
    const config = parseConfig(configWithField('_OPENROUTER_api_key2'), 'rotations.yaml');
    expect(config.rotations[0]?.destinations[0]).toMatchObject({ field: '_OPENROUTER_api_key2' });
  });
});
