/**
 * Looks for key material where it must never be: every workflow history (raw, and with the
 * payloads decrypted as the Web UI would show them), the log files and the Temporal database
 * file. A key counts as found in plain form, without its `sk-or-v1-` prefix, or base64-encoded at
 * any alignment.
 */
import { readFile } from 'node:fs/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { Client } from '@temporalio/client';
import type { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { errnoCode } from '../../src/errors/errno.js';
import { encodingsOf, payloadsIn } from '../../test/support/history-payloads.js';

const KEY_PREFIX = 'sk-or-v1-';

/** Where a secret was found: the place and the secret's label (never the secret). */
export interface SecretFinding {
  where: string;
  label: string;
}

/** Every form of every secret (secret → what it is, e.g. its label) to look for. */
export function secretNeedles(secrets: ReadonlyMap<string, string>): { needle: string; label: string }[] {
  const needles: { needle: string; label: string }[] = [];
  for (const [secret, label] of secrets) {
    const forms = encodingsOf(secret);
    if (secret.startsWith(KEY_PREFIX)) forms.push(secret.slice(KEY_PREFIX.length));
    for (const needle of forms) needles.push({ needle, label });
  }
  return needles;
}

/** The secrets found in `text` (one finding per secret). */
export function findSecrets(
  text: string | Buffer,
  needles: readonly { needle: string; label: string }[],
  where: string,
): SecretFinding[] {
  const found = new Map<string, SecretFinding>();
  for (const { needle, label } of needles) {
    if (!found.has(label) && text.indexOf(needle) !== -1) found.set(label, { where, label });
  }
  return [...found.values()];
}

/** Searches files byte for byte (a missing file is skipped: e.g. no WAL file). */
export async function scanFiles(
  files: readonly string[],
  needles: readonly { needle: string; label: string }[],
): Promise<{ findings: SecretFinding[]; filesScanned: number; bytesScanned: number }> {
  const findings: SecretFinding[] = [];
  let filesScanned = 0;
  let bytesScanned = 0;
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw err;
    }
    filesScanned += 1;
    bytesScanned += bytes.length;
    findings.push(...findSecrets(bytes, needles, file));
  }
  return { findings, filesScanned, bytesScanned };
}

/** Searches the history of every workflow in the namespace, raw and decrypted. */
export async function scanHistories(
  client: Client,
  codec: EncryptionCodec,
  needles: readonly { needle: string; label: string }[],
): Promise<{ findings: SecretFinding[]; histories: number }> {
  const findings: SecretFinding[] = [];
  let histories = 0;
  for await (const execution of client.workflow.list()) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    const history = await handle.fetchHistory();
    const where = `history of ${execution.workflowId} run ${execution.runId.slice(0, 8)}`;
    const decoded = await codec.decode(payloadsIn(history));
    const decodedJson = JSON.stringify(decoded.map((p) => defaultPayloadConverter.fromPayload(p)));
    findings.push(...findSecrets(historyToJSON(history), needles, where));
    findings.push(...findSecrets(decodedJson, needles, `${where} (decrypted)`));
    histories += 1;
  }
  return { findings, histories };
}
