/**
 * The emulator's keys on disk, so that a restarted emulator (the offline demo) resumes where it
 * stopped. The file holds no secret: keys are stored by hash and label only (the emulator
 * recognises callers by the sha256 of their bearer), and the management key lives in its own file.
 *
 * Writes replace the file atomically (temp file in the same folder, mode 0600, rename) and are
 * serialised: changes that arrive while a write is under way are saved by one more write.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { errnoCode } from '../errors/errno.js';
import { ConfigError } from '../errors/rotator-errors.js';
import type { EmulatedKey } from './key-store.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

const isoDate = z.iso.datetime({ offset: true }).transform((v) => new Date(v));
const windowedCounter = z.object({ windowId: z.string(), amount: z.number() });

const savedKeySchema = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  label: z.string(),
  name: z.string(),
  createdAt: isoDate,
  expiresAt: isoDate.nullable(),
  updatedAt: isoDate.nullable(),
  deletedAt: isoDate.nullable(),
  workspaceId: z.string(),
  creatorUserId: z.string().nullable(),
  sequence: z.number().int().nonnegative(),
  disabled: z.boolean(),
  limit: z.number().nullable(),
  limitReset: z.enum(['daily', 'weekly', 'monthly']).nullable(),
  includeByokInLimit: z.boolean(),
  usage: z.object({
    total: z.number(),
    daily: windowedCounter,
    weekly: windowedCounter,
    monthly: windowedCounter,
  }),
  requestCount: z.number().int().nonnegative(),
});

const stateFileSchema = z.object({ version: z.literal(1), keys: z.array(savedKeySchema) });

/** The keys saved in `file`, or `undefined` when there is no such file yet. */
export async function readEmulatorState(file: string): Promise<EmulatedKey[] | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(
      `emulator state ${file} is not valid JSON; delete it to start from an empty emulator`,
    );
  }
  const parsed = stateFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `emulator state ${file}: ${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'}; ` +
        'delete it to start from an empty emulator',
    );
  }
  return parsed.data.keys;
}

/** Field by field, so that nothing but what the schema names (no secret) reaches the file. */
function savedKey(record: EmulatedKey): z.input<typeof savedKeySchema> {
  const iso = (date: Date | null) => (date === null ? null : date.toISOString());
  return {
    hash: record.hash,
    label: record.label,
    name: record.name,
    createdAt: record.createdAt.toISOString(),
    expiresAt: iso(record.expiresAt),
    updatedAt: iso(record.updatedAt),
    deletedAt: iso(record.deletedAt),
    workspaceId: record.workspaceId,
    creatorUserId: record.creatorUserId,
    sequence: record.sequence,
    disabled: record.disabled,
    limit: record.limit,
    limitReset: record.limitReset,
    includeByokInLimit: record.includeByokInLimit,
    usage: {
      total: record.usage.total,
      daily: { ...record.usage.daily },
      weekly: { ...record.usage.weekly },
      monthly: { ...record.usage.monthly },
    },
    requestCount: record.requestCount,
  };
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // No fsync: a lost last second of emulated usage is harmless; a torn file is not (rename).
    await fs.writeFile(temp, content, { mode: FILE_MODE, flag: 'wx' });
    await fs.chmod(temp, FILE_MODE);
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Saves the keys returned by `keys()` to `file` whenever {@link save} is called. */
export class EmulatorStateWriter {
  #writing: Promise<void> | undefined;
  #pending = false;
  #lastError: unknown;

  constructor(
    private readonly file: string,
    private readonly keys: () => readonly EmulatedKey[],
  ) {}

  /** Schedules a save of the current keys (one write for a burst of changes). */
  save(): void {
    this.#pending = true;
    this.#writing ??= this.#drain();
  }

  /** Resolves once every change so far is on disk; throws the last write error, if any. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#lastError !== undefined) {
      const err = this.#lastError;
      this.#lastError = undefined;
      throw err;
    }
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending) {
        this.#pending = false;
        const content = `${JSON.stringify({ version: 1, keys: this.keys().map(savedKey) }, null, 2)}\n`;
        try {
          await writeAtomically(this.file, content);
          this.#lastError = undefined;
        } catch (err) {
          // Kept for flush(): a request must not fail because the demo's disk is full.
          this.#lastError = err;
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }
}
