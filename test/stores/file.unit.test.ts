import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileDestinationConfig } from '../../src/stores/file/schema.js';
import { DestinationAuthError, DestinationError } from '../../src/errors/rotator-errors.js';
import { FileSecretStore, fileVersion } from '../../src/stores/file/index.js';
import { formatDotenvValue, readDotenvValue, setDotenvValue } from '../../src/stores/dotenv-format.js';
import { createSecretStore } from '../../src/stores/create-secret-store.js';
import { workerPolicyFromRules } from '../../src/policy/index.js';
import { writtenPathViolation } from '../../src/policy/check-rotation.js';

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const TOKEN = { idempotencyToken: 'rotation-checkout-prod-run-0001-store-0' };

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'stores-file-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Whether this process may mount a file system (root with CAP_SYS_ADMIN, as in a CI container). */
function canMountReadOnly(): boolean {
  const probe = mkdtempSync(path.join(tmpdir(), 'mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=4k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

function freshDir(): string {
  return path.join(root, `case-${++counter}`);
}

function store(file: string, overrides: Partial<FileDestinationConfig> = {}): FileSecretStore {
  return new FileSecretStore({
    type: 'file',
    path: file,
    format: 'dotenv',
    field: 'OPENROUTER_API_KEY',
    ...overrides,
  });
}

async function mode(file: string): Promise<number> {
  return (await stat(file)).mode & 0o777;
}

describe('file store (dotenv)', () => {
  it('reads null when the file does not exist, then creates it (and its folder) on write', async () => {
    const file = path.join(freshDir(), 'nested', 'app.env');
    const s = store(file);
    expect(await s.read()).toBeNull();

    const result = await s.write(NEW_KEY, TOKEN);

    expect(await readFile(file, 'utf8')).toBe(`OPENROUTER_API_KEY=${NEW_KEY}\n`);
    expect(await mode(file)).toBe(0o600);
    expect(await mode(path.dirname(file))).toBe(0o700);
    expect(await s.read()).toEqual({ value: NEW_KEY, version: result.version });
  });

  it('creates several missing folder levels, and fails fast (not hangs) where folders cannot be made', async () => {
    const file = path.join(freshDir(), 'a', 'b', 'c', 'app.env');
    await store(file).write(NEW_KEY, TOKEN);
    expect(await readFile(file, 'utf8')).toContain(NEW_KEY);
    // Node 20's recursive mkdir never settles under /proc; the store must answer with an error.
    const error = await store('/proc/key-rotator-test/deeper/app.env')
      .write(NEW_KEY, TOKEN)
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DestinationError);
    // A folder that cannot be made is no passing fault: the rotation must not retry it for minutes.
    expect((error as DestinationError).retryable).toBe(false);
    expect((error as DestinationError).message).toMatch(/cannot create the folder of the file: ENOENT/);
  });

  it('fails at once, not retried, where the worker may not write (EACCES)', async () => {
    // sysfs refuses new files to everyone, root included.
    const error = await store('/sys/key-rotator-test.env')
      .write(NEW_KEY, TOKEN)
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DestinationAuthError);
    expect((error as DestinationError).retryable).toBe(false);
    expect((error as DestinationError).message).toMatch(
      /permission denied when trying to write the file \(EACCES.*give the worker read\/write access/,
    );
  });

  it.skipIf(!canMountReadOnly())(
    'fails at once, not retried, on a read-only file system (EROFS)',
    async () => {
      const dir = freshDir();
      await mkdir(dir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir]);
      try {
        const error = await store(path.join(dir, 'app.env'))
          .write(NEW_KEY, TOKEN)
          .catch((err: unknown) => err);
        expect(error).toBeInstanceOf(DestinationAuthError);
        expect((error as DestinationError).retryable).toBe(false);
        expect((error as DestinationError).message).toMatch(/mounted read-only \(EROFS/);
      } finally {
        execFileSync('umount', [dir]);
      }
    },
  );

  it('replaces only the key line and keeps other lines, comments, export prefixes and order', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const file = path.join(dir, '.env');
    const original = [
      '# checkout service',
      'DATABASE_URL=postgres://db/checkout',
      '',
      `export OPENROUTER_API_KEY="${OLD_KEY}" # rotated by key-rotator`,
      "GREETING='hello world'",
      '',
    ].join('\n');
    await writeFile(file, original, { mode: 0o644 });
    const s = store(file);

    expect((await s.read())?.value).toBe(OLD_KEY);
    await s.write(NEW_KEY, TOKEN);

    expect(await readFile(file, 'utf8')).toBe(original.replace(`"${OLD_KEY}"`, NEW_KEY));
    expect(await mode(file)).toBe(0o600);
  });

  it('keeps the previous content in <file>.previous with mode 0600 and restores the old key', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const file = path.join(dir, 'app.env');
    const original = `A=1\nOPENROUTER_API_KEY=${OLD_KEY}\n`;
    await writeFile(file, original);
    const s = store(file);

    await s.write(NEW_KEY, TOKEN);
    expect(await readFile(`${file}.previous`, 'utf8')).toBe(original);
    expect(await mode(`${file}.previous`)).toBe(0o600);

    const restored = await s.restore(OLD_KEY, TOKEN);
    expect(await readFile(file, 'utf8')).toBe(original);
    expect(restored.version).toBe(fileVersion(original));
    expect(await readFile(`${file}.previous`, 'utf8')).toContain(NEW_KEY);
  });

  it('repeats a write as a no-op: same version, same file, previous copy untouched', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const file = path.join(dir, 'app.env');
    await writeFile(file, `OPENROUTER_API_KEY=${OLD_KEY}\n`);
    const s = store(file);

    const first = await s.write(NEW_KEY, TOKEN);
    const second = await s.write(NEW_KEY, TOKEN);

    expect(second.version).toBe(first.version);
    expect(await readFile(`${file}.previous`, 'utf8')).toBe(`OPENROUTER_API_KEY=${OLD_KEY}\n`);
  });

  it('treats an empty assignment as no key', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const file = path.join(dir, 'app.env');
    await writeFile(file, 'OPENROUTER_API_KEY=\n');
    expect(await store(file).read()).toBeNull();
  });

  it('leaves no temp files behind', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const file = path.join(dir, 'app.env');
    const s = store(file);
    await s.write(OLD_KEY, TOKEN);
    await s.write(NEW_KEY, TOKEN);
    await s.restore(OLD_KEY, TOKEN);

    expect((await readdir(dir)).sort()).toEqual(['app.env', 'app.env.previous']);
  });

  it('refuses a symlinked target with a non-retryable error and leaves the link alone', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const real = path.join(dir, 'real.env');
    const link = path.join(dir, 'link.env');
    await writeFile(real, `OPENROUTER_API_KEY=${OLD_KEY}\n`);
    await symlink(real, link);
    const s = store(link);

    const error = await s.write(NEW_KEY, TOKEN).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DestinationError);
    expect((error as DestinationError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/symbolic link/);
    await expect(s.read()).rejects.toThrow(/symbolic link/);
    expect(await readFile(real, 'utf8')).toBe(`OPENROUTER_API_KEY=${OLD_KEY}\n`);
  });

  it.skipIf(process.getuid?.() === 0)(
    'reports a folder it cannot write to as a non-retryable permission error',
    async () => {
      const dir = freshDir();
      await mkdir(dir, { mode: 0o500 });
      const error = await store(path.join(dir, 'app.env'))
        .write(NEW_KEY, TOKEN)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DestinationAuthError);
      expect((error as DestinationAuthError).retryable).toBe(false);
    },
  );

  it('refuses a folder swapped for a link out of the policy folders after the check, and writes nothing there', async () => {
    const dir = freshDir();
    const allowed = path.join(dir, 'allowed');
    const outside = path.join(dir, 'outside');
    await mkdir(path.join(allowed, 'keys'), { recursive: true });
    await mkdir(outside);
    const file = path.join(allowed, 'keys', 'app.env');
    const policy = workerPolicyFromRules({ destinations: { fileRoots: [allowed] } });
    const config = { type: 'file', path: file, format: 'dotenv', field: 'OPENROUTER_API_KEY' } as const;
    const swapped = createSecretStore(config, { refuseWrittenPath: (f) => writtenPathViolation(f, policy) });
    // What admission checks (src/policy/check-rotation.ts): the file is inside the policy's folder.
    expect(writtenPathViolation(file, policy)).toBeUndefined();
    await swapped.write(OLD_KEY, TOKEN);
    await rename(path.join(allowed, 'keys'), path.join(allowed, 'keys-before'));
    await symlink(outside, path.join(allowed, 'keys'));

    const write = swapped.write(NEW_KEY, { idempotencyToken: 'second' });
    await expect(write).rejects.toThrow(DestinationError);
    await expect(write).rejects.toThrow(
      new RegExp(
        `the folder now resolves to ${outside}.*not inside a folder of the worker policy's destinations\\.fileRoots`,
      ),
    );
    await expect(swapped.read()).rejects.toThrow(/the folder now resolves to/);
    expect(await readdir(outside)).toEqual([]);
    expect(
      readDotenvValue(
        await readFile(path.join(allowed, 'keys-before', 'app.env'), 'utf8'),
        'OPENROUTER_API_KEY',
      ),
    ).toBe(OLD_KEY);
  });

  it('resolves relative paths from the given folder and names the destination without its value', async () => {
    const dir = freshDir();
    const s = new FileSecretStore(
      { type: 'file', path: 'conf/app.env', format: 'dotenv', field: 'KEY' },
      { cwd: dir },
    );
    expect(s.description).toBe(`file:${path.join(dir, 'conf', 'app.env')}#KEY`);
    await s.write(NEW_KEY, TOKEN);
    expect(await readFile(path.join(dir, 'conf', 'app.env'), 'utf8')).toBe(`KEY=${NEW_KEY}\n`);
  });
});

describe('file store (json)', () => {
  it('sets the field and keeps the other fields', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const file = path.join(dir, 'secrets.json');
    await writeFile(
      file,
      JSON.stringify({ DATABASE_URL: 'postgres://db', OPENROUTER_API_KEY: OLD_KEY, nested: { a: 1 } }),
    );
    const s = store(file, { format: 'json' });

    expect((await s.read())?.value).toBe(OLD_KEY);
    await s.write(NEW_KEY, TOKEN);

    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      DATABASE_URL: 'postgres://db',
      OPENROUTER_API_KEY: NEW_KEY,
      nested: { a: 1 },
    });
    expect(await mode(file)).toBe(0o600);
  });

  it('creates the file, and refuses a file that is not a JSON object', async () => {
    const dir = freshDir();
    await mkdir(dir);
    const file = path.join(dir, 'secrets.json');
    const s = store(file, { format: 'json' });
    await s.write(NEW_KEY, TOKEN);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ OPENROUTER_API_KEY: NEW_KEY });

    await writeFile(file, `["${OLD_KEY}"]`);
    await expect(s.read()).rejects.toThrow(/JSON object/);
    await writeFile(file, `{"OPENROUTER_API_KEY": "${OLD_KEY}",`);
    const error = await s.read().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/not valid JSON/);
    expect((error as Error).message).not.toContain(OLD_KEY);
  });
});

describe('dotenv format', () => {
  it('quotes values only when needed and reads back what it wrote', () => {
    expect(formatDotenvValue(NEW_KEY)).toBe(NEW_KEY);
    for (const value of ['with space', 'a#b', 'quote"and\\slash', 'line\nbreak', "it's", '$HOME']) {
      const content = setDotenvValue('', 'K', value);
      expect(content).toMatch(/^K='/);
      expect(readDotenvValue(content, 'K')).toBe(value);
    }
  });

  it('understands spaces around =, single quotes, inline comments and the last assignment winning', () => {
    expect(readDotenvValue('K = abc # note\n', 'K')).toBe('abc');
    expect(readDotenvValue("K='a # b'\n", 'K')).toBe('a # b');
    expect(readDotenvValue('K=one\nK=two\n', 'K')).toBe('two');
    expect(readDotenvValue('KEY=x\n', 'K')).toBeUndefined();
  });

  it('keeps CRLF endings and a missing final newline', () => {
    expect(setDotenvValue('A=1\r\nK=old\r\n', 'K', 'new')).toBe('A=1\r\nK=new\r\n');
    expect(setDotenvValue('A=1\nK=old', 'K', 'new')).toBe('A=1\nK=new');
    expect(setDotenvValue('A=1', 'K', 'new')).toBe('A=1\nK=new\n');
  });
});
