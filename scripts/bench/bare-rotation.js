// The baseline of the `rotate --wait` rows: one rotation without the product. It makes the HTTP
// calls a real rotation made (the plan scripts/bench/rotate-rows.ts took from the emulator's log:
// calls sent together are sent together here too) with fetch, and writes the dotenv destination
// (read, replace the line, write a temp file, rename), nothing else: no Temporal, no retries.
// Input: BENCH_BARE_PLAN (JSON: baseUrl, destination, keyName, groups) and BENCH_MANAGEMENT_KEY.
// Prints `{"ms": …}`: from its first line to the last answer, without Node's own start.
/* global fetch, performance */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';

const started = performance.now();
const plan = JSON.parse(process.env.BENCH_BARE_PLAN ?? '');
const managementKey = process.env.BENCH_MANAGEMENT_KEY ?? '';
const KEY_LINE = /^OPENROUTER_API_KEY=(.*)$/m;

const hashOf = (key) => createHash('sha256').update(key, 'utf8').digest('hex');
const destinationText = await readFile(plan.destination, 'utf8');
const oldKey = KEY_LINE.exec(destinationText)?.[1];
if (!oldKey) throw new Error(`${plan.destination} holds no OPENROUTER_API_KEY line`);
const keys = { old: { key: oldKey, hash: hashOf(oldKey) }, new: undefined };

async function writeDestination(newKey) {
  const text = (await readFile(plan.destination, 'utf8')).replace(KEY_LINE, `OPENROUTER_API_KEY=${newKey}`);
  const temp = `${plan.destination}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, plan.destination);
}

async function send({ method, path, bearer, status }) {
  const isCreate = method === 'POST' && /\/keys$/.test(path);
  if (method !== 'GET' && method !== 'DELETE' && !isCreate)
    throw new Error(`the bare rotation does not know the body of ${method} ${path}`);
  if (path.includes('{new}') && !keys.new) throw new Error(`${method} ${path} before the key was created`);
  const url = plan.baseUrl + path.replaceAll('{old}', keys.old.hash).replaceAll('{new}', keys.new?.hash);
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${bearer === 'management' ? managementKey : keys[bearer].key}`,
      accept: 'application/json',
      ...(isCreate && { 'content-type': 'application/json' }),
    },
    body: isCreate ? JSON.stringify({ name: plan.keyName }) : undefined,
  });
  const body = await response.text();
  if (response.status !== status)
    throw new Error(`${method} ${path} answered ${response.status}; the rotation got ${status}`);
  if (isCreate) {
    const created = JSON.parse(body);
    keys.new = { key: created.key, hash: created.data.hash };
    await writeDestination(created.key);
  }
}

for (const group of plan.groups) await Promise.all(group.map(send));
console.log(JSON.stringify({ ms: performance.now() - started }));
