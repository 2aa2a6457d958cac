/**
 * What the stores whose rollback is a write share: writing the new key and restoring the previous
 * one are the same operation (a new version where the backend keeps versions), named by its
 * purpose in messages, and an empty value is refused before anything is sent.
 */
import { DestinationError } from '../errors/rotator-errors.js';
import type { SecretStore, StoredSecret, WriteOptions, WriteResult } from './secret-store.js';

/** Why a value is being set, as messages name it. */
export type SetPurpose = 'write the new key' | 'restore the previous key';

export abstract class SetValueStore implements SecretStore {
  abstract readonly description: string;

  abstract read(): Promise<StoredSecret | null>;

  async write(value: string, options: WriteOptions): Promise<WriteResult> {
    return this.set(value, 'write the new key', options);
  }

  /** Rollback writes the previous value again (history is never deleted). */
  async restore(previousValue: string, options: WriteOptions): Promise<WriteResult> {
    return this.set(previousValue, 'restore the previous key', options);
  }

  /**
   * Makes `value` (never empty) the current value; idempotent, as SecretStore.write says.
   * @param purpose why, for messages.
   */
  protected abstract setValue(
    value: string,
    purpose: SetPurpose,
    options: WriteOptions,
  ): Promise<WriteResult>;

  private async set(value: string, purpose: SetPurpose, options: WriteOptions): Promise<WriteResult> {
    if (value === '')
      throw new DestinationError(this.description, `refusing to ${purpose}: the value is empty`);
    return this.setValue(value, purpose, options);
  }
}
