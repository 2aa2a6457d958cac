/**
 * The one rule for secrets read from the environment (src/fields/env-or-file.ts), and the three
 * places that use it: the worker's management keys, the codec keyring and the codec server token.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { managementKeyFromEnvironment } from '../../src/activities/default-dependencies.js';
import { loadKeyring } from '../../src/codec/keyring.js';
import { readEnvOrFile } from '../../src/fields/env-or-file.js';
import { ConfigError } from '../../src/errors/rotator-errors.js';
import { redact } from '../../src/errors/redact.js';
import { runKeyRotator } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'env-or-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

const secret = () => `secret-${randomBytes(8).toString('hex')}`;

describe('readEnvOrFile', () => {
  it('takes the variable first, trimmed, and says where the value came from', () => {
    const value = secret();
    const file = fileWith('ignored', 'from the file');
    expect(readEnvOrFile('TOKEN', { TOKEN: `  ${value}\n`, TOKEN_FILE: file }, 'the token')).toEqual({
      value,
      source: 'TOKEN',
    });
  });

  it('reads NAME_FILE when the variable is unset or empty, trimming the trailing newline', () => {
    const value = secret();
    const file = fileWith('token', `${value}\n`);
    for (const inline of [undefined, '', '   ']) {
      expect(readEnvOrFile('TOKEN', { TOKEN: inline, TOKEN_FILE: file }, 'the token')).toEqual({
        value,
        source: `TOKEN_FILE=${file}`,
      });
    }
  });

  it('treats an empty file like an unset variable', () => {
    const file = fileWith('empty', ' \n');
    expect(readEnvOrFile('TOKEN', { TOKEN_FILE: file }, 'the token')).toBeUndefined();
    expect(readEnvOrFile('TOKEN', {}, 'the token')).toBeUndefined();
  });

  it('names the variable, the file and what it must hold when the file cannot be read', () => {
    const missing = path.join(dir, 'missing');
    const error = thrown(() => readEnvOrFile('TOKEN', { TOKEN_FILE: missing }, 'the token'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `TOKEN_FILE=${missing}: it does not exist; it must hold the token (or set TOKEN instead)`,
    );

    // A folder is unreadable as a file for everyone, root included.
    const folder = mkdtempSync(path.join(dir, 'folder-'));
    const unreadable = thrown(() => readEnvOrFile('TOKEN', { TOKEN: '', TOKEN_FILE: folder }, 'the token'));
    expect(unreadable.message).toBe(
      `TOKEN_FILE=${folder}: cannot read it (EISDIR); it must hold the token (or set TOKEN instead)`,
    );
  });

  it('registers every value it returns for redaction', () => {
    const fromVariable = secret();
    const fromFile = secret();
    readEnvOrFile('A', { A: fromVariable }, 'a');
    readEnvOrFile('B', { B_FILE: fileWith('b', fromFile) }, 'b');
    expect(redact(`x ${fromVariable} y ${fromFile}`)).toBe('x [redacted] y [redacted]');
  });
});

describe('the places that read secrets from the environment', () => {
  it('the worker takes a management key from MGMT_KEY_FILE and reports an unreadable one by name', () => {
    const key = `sk-or-v1-${randomBytes(32).toString('hex')}`;
    expect(managementKeyFromEnvironment('MGMT_KEY', { MGMT_KEY_FILE: fileWith('mgmt', `${key}\n`) })).toBe(
      key,
    );
    const missing = path.join(dir, 'no-mgmt');
    expect(() => managementKeyFromEnvironment('MGMT_KEY', { MGMT_KEY_FILE: missing })).toThrow(
      `MGMT_KEY_FILE=${missing}: it does not exist; it must hold the OpenRouter management key`,
    );
  });

  it('the codec keyring file: unreadable is named, empty is refused instead of falling back to a dev key', async () => {
    const missing = path.join(dir, 'no-keyring');
    await expect(loadKeyring({ env: { KEY_ROTATOR_CODEC_KEY_FILE: missing } })).rejects.toThrow(
      `KEY_ROTATOR_CODEC_KEY_FILE=${missing}: it does not exist; it must hold the payload codec keyring`,
    );
    // A dev keyring in the working folder must not be picked up when the configured file is empty.
    const cwd = mkdtempSync(path.join(dir, 'cwd-'));
    await loadKeyring({ cwd, allowDevKey: true, env: {} });
    const empty = fileWith('empty-keyring', '\n');
    await expect(loadKeyring({ cwd, env: { KEY_ROTATOR_CODEC_KEY_FILE: empty } })).rejects.toThrow(
      `KEY_ROTATOR_CODEC_KEY_FILE=${empty}: the file is empty`,
    );
  });

  it('key-rotator codec-server names an unreadable token file and exits 2, printing no key', async () => {
    const missing = path.join(dir, 'no-token');
    const run = await runKeyRotator(['codec-server', '--port', '0'], {
      env: { KEY_ROTATOR_CODEC_SERVER_TOKEN_FILE: missing, KEY_ROTATOR_SEALING_KEY: undefined },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `KEY_ROTATOR_CODEC_SERVER_TOKEN_FILE=${missing}: it does not exist; it must hold the codec server bearer token`,
    );
    expect(run.stdout).not.toMatch(/listening/);
  });
});
