/** The JSON log record: its fixed fields, the SDK's names mapped, and redaction of every string in it. */
import { describe, expect, it } from 'vitest';
import { labelOfKey, registerSecret } from '../../src/errors/redact.js';
import { logFormatFrom } from '../../src/logging/log-format.js';
import { jsonLogLine, setTraceIdsSource } from '../../src/logging/log-record.js';

const KEY = 'sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('JSON log records', () => {
  it('has time, level, message, the run ids (the SDK activity name workflowRunId as runId) and no task token', () => {
    const record = JSON.parse(
      jsonLogLine(
        'warn',
        'stored',
        {
          workflowId: 'rotation-a',
          workflowRunId: 'r1',
          rotation: 'a',
          step: 'store',
          taskToken: 'AAAA',
          attempt: 2,
        },
        new Date('2026-12-07T10:00:00Z'),
      ),
    ) as Record<string, unknown>;
    expect(record).toEqual({
      time: '2026-12-07T10:00:00.000Z',
      level: 'warn',
      message: 'stored',
      rotation: 'a',
      workflowId: 'rotation-a',
      runId: 'r1',
      step: 'store',
      attempt: 2,
    });
  });

  it('redacts keys and registered secrets in the message and in nested fields, and shows errors by message', () => {
    registerSecret('vault-token-abcdef');
    const line = jsonLogLine('error', `failed with ${KEY}`, {
      error: new Error(`token vault-token-abcdef refused`),
      nested: { list: [KEY] },
    });
    expect(line).not.toContain(KEY);
    expect(line).not.toContain('vault-token-abcdef');
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(record.message).toBe(`failed with ${labelOfKey(KEY)}`);
    expect(record.error).toEqual({ name: 'Error', message: 'token [redacted] refused' });
    expect(record.nested).toEqual({ list: [labelOfKey(KEY)] });
  });

  it('carries the active span ids once tracing sets their source', () => {
    setTraceIdsSource(() => ({ traceId: 't'.repeat(32), spanId: 's'.repeat(16) }));
    try {
      expect(JSON.parse(jsonLogLine('info', 'x'))).toMatchObject({
        trace_id: 't'.repeat(32),
        span_id: 's'.repeat(16),
      });
    } finally {
      setTraceIdsSource(() => undefined);
    }
  });

  it('KEY_ROTATOR_LOG_FORMAT: text by default, json, anything else refused naming the variable', () => {
    expect(logFormatFrom({})).toBe('text');
    expect(logFormatFrom({ KEY_ROTATOR_LOG_FORMAT: 'JSON' })).toBe('json');
    expect(() => logFormatFrom({ KEY_ROTATOR_LOG_FORMAT: 'yaml' })).toThrow(
      'KEY_ROTATOR_LOG_FORMAT=yaml: expected text or json (default text)',
    );
  });
});
