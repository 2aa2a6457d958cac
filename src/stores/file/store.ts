/**
 * File destination: a dotenv or JSON file on the worker's disk (the embedded default).
 *
 * Writes are atomic (temp file in the same folder, fsync, rename, fsync of the folder) so a reader
 * sees the old file or the new one, never a torn one. The file and its temp file are mode 0600.
 * The content before each change is kept in `<file>.previous` (0600) for a manual rollback.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { errnoCode } from '../../errors/errno.js';
import { DestinationAuthError, DestinationError } from '../../errors/rotator-errors.js';
import { readDotenvValue, setDotenvValue } from '../dotenv-format.js';
import type { StoredSecret, WriteResult } from '../secret-store.js';
import { SetValueStore } from '../set-value-store.js';
import { fileDestinationLabel } from './label.js';
import { OpenedFolder, type RefuseWrittenPath } from './opened-folder.js';
import type { FileDestinationConfig } from './schema.js';

export interface FileStoreDeps {
  /** Folder that relative paths resolve from. @default process.cwd() */
  cwd?: string;
  /** Refuses the file, judged in its folder as opened (the worker policy's fileRoots). @default allows all */
  refuseWrittenPath?: RefuseWrittenPath;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const jsonObject = z.record(z.string(), z.unknown());

/** First 12 hex characters of the sha256 of the file content: the file's version id. */
export function fileVersion(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex').slice(0, 12);
}

export class FileSecretStore extends SetValueStore {
  readonly description: string;
  /** Absolute path of the file. */
  readonly path: string;
  private readonly format: FileDestinationConfig['format'];
  private readonly field: string;
  private readonly refuseWrittenPath: RefuseWrittenPath | undefined;

  constructor(config: FileDestinationConfig, deps: FileStoreDeps = {}) {
    super();
    const cwd = deps.cwd ?? process.cwd();
    this.path = path.resolve(cwd, config.path);
    this.refuseWrittenPath = deps.refuseWrittenPath;
    this.format = config.format;
    this.field = config.field;
    this.description = fileDestinationLabel(config, { cwd });
  }

  /** Sibling file holding the content before the last change. */
  get previousPath(): string {
    return `${this.path}.previous`;
  }

  async read(): Promise<StoredSecret | null> {
    const content = await this.readContent();
    if (content === null) return null;
    const value = this.extract(content);
    // `NAME=` (an empty value) counts as no key at all.
    return value ? { value, version: fileVersion(content) } : null;
  }

  protected async setValue(value: string): Promise<WriteResult> {
    const content = await this.readContent();
    // Idempotent: a retry after a lost reply finds the value already there and changes nothing.
    if (content !== null && this.extract(content) === value) return { version: fileVersion(content) };

    const next = this.insert(content ?? '', value);
    await this.ensureFolder();
    const folder = await this.openFolder('write');
    try {
      if (content !== null) await this.atomicWrite(folder, path.basename(this.previousPath), content);
      await this.atomicWrite(folder, path.basename(this.path), next);
    } finally {
      await folder.close();
    }
    return { version: fileVersion(next) };
  }

  /** The file's folder, opened and judged by the policy where it really is. */
  private async openFolder(action: string): Promise<OpenedFolder> {
    try {
      return await OpenedFolder.open(
        path.dirname(this.path),
        path.basename(this.path),
        this.description,
        this.refuseWrittenPath,
      );
    } catch (err) {
      throw this.wrapFsError(err, action);
    }
  }

  /** File content, or null when the file or its folder does not exist. Refuses symlinks and non-files. */
  private async readContent(): Promise<string | null> {
    let folder: OpenedFolder;
    try {
      folder = await this.openFolder('read');
    } catch (err) {
      if (err instanceof DestinationError && errnoCode(err.cause) === 'ENOENT') return null;
      throw err;
    }
    try {
      // O_NOFOLLOW: a link put in the file's place is refused, never followed.
      const file = await fs.open(
        folder.entry(path.basename(this.path)),
        fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK,
      );
      try {
        if (!(await file.stat()).isFile())
          throw new DestinationError(this.description, 'the path exists but is not a regular file');
        return await file.readFile('utf8');
      } finally {
        await file.close();
      }
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      if (errnoCode(err) === 'ELOOP') {
        throw new DestinationError(
          this.description,
          'the path is a symbolic link; refusing to follow it (an atomic rename would replace the link). ' +
            'Point the destination at the real file.',
        );
      }
      throw this.wrapFsError(err, 'read');
    } finally {
      await folder.close();
    }
  }

  private extract(content: string): string | undefined {
    if (this.format === 'dotenv') return readDotenvValue(content, this.field);
    const value = this.parseJson(content)[this.field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      throw new DestinationError(
        this.description,
        `field "${this.field}" holds a ${typeof value}, expected a string; fix the file by hand`,
      );
    }
    return value;
  }

  private insert(content: string, value: string): string {
    if (this.format === 'dotenv') return setDotenvValue(content, this.field, value);
    const object = content.trim() === '' ? {} : this.parseJson(content);
    return `${JSON.stringify({ ...object, [this.field]: value }, null, 2)}\n`;
  }

  private parseJson(content: string): Record<string, unknown> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      // JSON.parse messages quote the text around the error, which may be a secret: say less.
      throw new DestinationError(this.description, 'the file is not valid JSON; fix it by hand');
    }
    const result = jsonObject.safeParse(parsed);
    if (!result.success || Array.isArray(parsed)) {
      throw new DestinationError(
        this.description,
        'the file must hold a JSON object such as {"NAME": "value"}',
      );
    }
    return result.data;
  }

  /**
   * Creates the missing folders one level at a time, from the deepest existing one. Node 20's
   * `mkdir({ recursive: true })` never settles (and spins a CPU) under /proc, which would hang the
   * activity past every timeout; single-level mkdir fails fast there instead.
   */
  private async ensureFolder(): Promise<void> {
    const missing: string[] = [];
    let dir = path.dirname(this.path);
    try {
      for (;;) {
        try {
          await fs.stat(dir);
          break;
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT' || path.dirname(dir) === dir) throw err;
          missing.unshift(dir);
          dir = path.dirname(dir);
        }
      }
      for (const folder of missing) {
        try {
          await fs.mkdir(folder, { mode: DIR_MODE });
        } catch (err) {
          // Another writer made it between our stat and mkdir: fine.
          if (errnoCode(err) !== 'EEXIST') throw err;
        }
      }
    } catch (err) {
      throw this.wrapFsError(err, 'create the folder of');
    }
  }

  /**
   * Temp file (0600 before any byte is written) → fsync → rename over `name` → fsync the folder,
   * every step inside the opened folder.
   */
  private async atomicWrite(folder: OpenedFolder, name: string, content: string): Promise<void> {
    const temp = folder.entry(`.${name}.${randomBytes(6).toString('hex')}.tmp`);
    let renamed = false;
    try {
      const handle = await fs.open(
        temp,
        fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW,
        FILE_MODE,
      );
      try {
        await handle.chmod(FILE_MODE); // the umask may have narrowed the mode; make sure it is exactly 0600
        await handle.writeFile(content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, folder.entry(name));
      renamed = true;
      await folder.sync();
    } catch (err) {
      if (!renamed) await fs.rm(temp, { force: true }).catch(() => undefined);
      throw this.wrapFsError(err, 'write');
    }
  }

  private wrapFsError(err: unknown, action: string): DestinationError {
    if (err instanceof DestinationError) return err;
    const code = errnoCode(err);
    const reason = err instanceof Error ? err.message : String(err);
    // Neither a permission nor a read-only mount changes by retrying the same path: fail at once.
    if (code === 'EROFS') {
      return new DestinationAuthError(
        this.description,
        `cannot ${action} the file: its file system is mounted read-only (${reason}); point the destination at a writable folder`,
        { cause: err },
      );
    }
    if (code === 'EACCES' || code === 'EPERM') {
      return new DestinationAuthError(
        this.description,
        `permission denied when trying to ${action} the file (${reason}); give the worker read/write access to it and its folder`,
        { cause: err },
      );
    }
    // The path itself is wrong (e.g. a folder that cannot exist, such as one under /proc): retrying
    // the same path cannot heal it, so the rotation fails (and rolls back) at once.
    if (
      code === 'ENOENT' ||
      code === 'EISDIR' ||
      code === 'ENOTDIR' ||
      code === 'ELOOP' ||
      code === 'ENAMETOOLONG'
    ) {
      return new DestinationError(this.description, `cannot ${action} the file: ${reason}`, { cause: err });
    }
    // EIO, ENOSPC, EMFILE, EBUSY…: the disk or the process may recover, so a retry can help.
    return new DestinationError(this.description, `cannot ${action} the file: ${reason}`, {
      retryable: true,
      cause: err,
    });
  }
}
