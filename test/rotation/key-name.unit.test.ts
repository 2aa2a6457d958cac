/**
 * The new key's name carries the run: its token in runs with one (src/workflows/run-token.ts), its
 * run id in runs started before. `sweep` and the deleting activities read both the same way.
 */
import { describe, expect, it } from 'vitest';
import { rotationSchema } from '../../src/config/schema.js';
import { creatorOfKeyName, keyNameForRun } from '../../src/workflow-contract/key-settings.js';

const rotation = rotationSchema.parse({
  name: 'prod-app',
  openrouter: { managementKeyEnv: 'OPENROUTER_MANAGEMENT_KEY', key: { name: 'app key' } },
  schedule: { intervalDays: 7 },
  destinations: [{ type: 'file', path: '/tmp/app.env' }],
});

describe('key names of a run', () => {
  it('names a key after the run token and is read back by creatorOfKeyName', () => {
    const name = keyNameForRun(rotation, '0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(name).toBe('app key (key-rotator prod-app 7728950e)');
    expect(creatorOfKeyName(name)).toEqual({ rotation: 'prod-app', runPrefix: '7728950e' });
  });

  it('still reads the names of runs started before the token (from their UUIDv7 run id)', () => {
    const name = keyNameForRun(rotation, '019af3b2-7c1e-7d2a-9f00-3c4b5a6d7e8f');
    expect(creatorOfKeyName(name)).toEqual({ rotation: 'prod-app', runPrefix: '5a6d7e8f' });
    expect(creatorOfKeyName('app key')).toBeUndefined();
  });
});
