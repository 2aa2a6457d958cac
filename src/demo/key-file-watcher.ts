/**
 * How an app picks up a rotated key from a dotenv file: it re-reads the file when it changes. Three
 * triggers, because each can miss: fs.watch on the folder (the rotator replaces the file by a
 * rename, which a watch on the file itself would not follow), a poll every few seconds, and a
 * cheap stat before each use, so a request sent after the rotator's write never uses the old key.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../errors/errno.js';
import { readDotenvValue } from '../stores/dotenv-format.js';

export interface KeyFileWatcherOptions {
  /** The dotenv file holding the key. */
  file: string;
  /** Variable that holds the key. @default "OPENROUTER_API_KEY" */
  field?: string;
  /** Fallback poll for file systems where fs.watch is silent. @default 2000 */
  pollIntervalMs?: number;
  /** Called after the key changed (first read included), with the new key or undefined. */
  onChange?: (key: string | undefined, previous: string | undefined) => void;
}

export class KeyFileWatcher {
  readonly #file: string;
  readonly #field: string;
  readonly #onChange: KeyFileWatcherOptions['onChange'];
  #key: string | undefined;
  /** inode, mtime and size of the content last read; '' = not read yet, 'missing' = no file. */
  #seen = '';
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #reading: Promise<string | undefined> | undefined;

  constructor(options: KeyFileWatcherOptions) {
    this.#file = path.resolve(options.file);
    this.#field = options.field ?? 'OPENROUTER_API_KEY';
    this.#onChange = options.onChange;
    try {
      this.#watcher = watch(path.dirname(this.#file), () => void this.current().catch(() => undefined));
      this.#watcher.on('error', () => this.#watcher?.close());
    } catch {
      // The folder does not exist yet (or cannot be watched): the poll and the stat still work.
    }
    this.#poll = setInterval(
      () => void this.current().catch(() => undefined),
      options.pollIntervalMs ?? 2_000,
    );
    this.#poll.unref();
  }

  /** The key the file holds now (re-read only when the file changed); undefined without one. */
  current(): Promise<string | undefined> {
    this.#reading ??= this.#refresh(false).finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  /** Reads the file again even if it looks unchanged (after the key was refused). */
  async reload(): Promise<string | undefined> {
    await this.#reading;
    return this.#refresh(true);
  }

  close(): void {
    this.#watcher?.close();
    clearInterval(this.#poll);
  }

  async #refresh(force: boolean): Promise<string | undefined> {
    let signature: string;
    try {
      const info = await stat(this.#file);
      signature = `${info.ino}:${info.mtimeMs}:${info.size}`;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      signature = 'missing';
    }
    if (!force && signature === this.#seen) return this.#key;
    let key: string | undefined;
    try {
      key =
        signature === 'missing'
          ? undefined
          : readDotenvValue(await readFile(this.#file, 'utf8'), this.#field);
    } catch (err) {
      // Replaced between stat and read: the next look sees the new file.
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    const firstRead = this.#seen === '';
    this.#seen = signature;
    const previous = this.#key;
    this.#key = key || undefined;
    if (firstRead || this.#key !== previous) this.#onChange?.(this.#key, previous);
    return this.#key;
  }
}
