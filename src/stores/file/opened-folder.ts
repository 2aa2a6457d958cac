/**
 * The file destination's folder, opened once per read or write and judged as opened: a folder
 * swapped for a symbolic link after the worker policy's check (`destinations.fileRoots`) would
 * otherwise send the key outside the allowed folders. On Linux every entry is then reached through
 * the open folder (`/proc/self/fd/N/name`, what `openat` and `renameat` do), so a later swap changes
 * nothing; elsewhere through the folder's real path, checked after the open to be the same folder.
 */
import { constants as fsConstants, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../errors/errno.js';
import { DestinationError } from '../../errors/rotator-errors.js';

/** Refuses a file the worker policy does not let the destination write: why, or undefined. */
export type RefuseWrittenPath = (realFile: string) => string | undefined;

const PROC_FDS = '/proc/self/fd';
const procFdsExist = existsSync(PROC_FDS);

export class OpenedFolder {
  private constructor(
    private readonly handle: fs.FileHandle,
    /** What entries are reached through: the open folder itself, or its checked real path. */
    private readonly base: string,
  ) {}

  /**
   * Opens `dir` and judges where it really is before anything inside is touched.
   * @throws DestinationError (not retryable) when `refuse` refuses `name` in the opened folder.
   */
  static async open(
    dir: string,
    name: string,
    description: string,
    refuse: RefuseWrittenPath | undefined,
  ): Promise<OpenedFolder> {
    const handle = await fs.open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    try {
      const real = procFdsExist
        ? await fs.readlink(path.join(PROC_FDS, String(handle.fd)))
        : await sameFolderRealPath(dir, handle);
      const refused = refuse?.(path.join(real, name));
      if (refused !== undefined) {
        throw new DestinationError(
          description,
          `the folder now resolves to ${real} (swapped for a symbolic link since the policy check?): ${refused}; nothing was read or written`,
        );
      }
      return new OpenedFolder(handle, procFdsExist ? path.join(PROC_FDS, String(handle.fd)) : real);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** The path of `name` inside the opened folder, for this process only. */
  entry(name: string): string {
    return path.join(this.base, name);
  }

  /** fsync of the folder (after a rename); a file system that cannot sync one is let be. */
  async sync(): Promise<void> {
    try {
      await this.handle.sync();
    } catch (err) {
      if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'EISDIR') throw err;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Real path of `dir`, checked to be the folder `handle` opened (same device and inode). */
async function sameFolderRealPath(dir: string, handle: fs.FileHandle): Promise<string> {
  const real = await fs.realpath(dir);
  const [opened, named] = await Promise.all([handle.stat(), fs.stat(real)]);
  if (opened.dev !== named.dev || opened.ino !== named.ino) {
    throw Object.assign(new Error(`${dir} changed while it was opened`), { code: 'EAGAIN' });
  }
  return real;
}
