/**
 * A new user's first hour, checked: `npm start`, then every command the README's tested block
 * (```sh tested) and the start-up banner print, run exactly as printed, each with its exit code
 * and a line of its output; then the Web UI at the printed address, in Debian's headless
 * Chromium, showing a finished rotation decoded (a step name and a key label visible, no key).
 * One stack serves both: `npm start` takes minutes on a loaded machine.
 *
 * A README command this file has no expectation for fails the test: add one below.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTemporal } from '../../src/client/temporal-client.js';
import { rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import {
  freeLocalStackPorts,
  linesFrom,
  REPO_ROOT,
  startLocalStack,
  type RunningLocalStack,
} from './local-stack.js';
import { waitFor } from '../support/net.js';

const CHROMIUM = '/usr/bin/chromium';
/**
 * Where the screenshot goes: a CI artifact under .tmp/ (ignored), so a test run leaves the tree clean;
 * KEY_ROTATOR_UPDATE_SCREENSHOT=1 writes the README's picture instead.
 */
const SCREENSHOT = process.env.KEY_ROTATOR_UPDATE_SCREENSHOT
  ? path.join(REPO_ROOT, 'docs', 'images', 'web-ui-rotation.png')
  : path.join(REPO_ROOT, '.tmp', 'artifacts', 'web-ui-rotation.png');
const FIRST_ROTATION_TIMEOUT_MS = 300_000;
const KEY_PATTERN = /sk-or-v1-[0-9a-f]{64}/;
const LABEL_PATTERN = /sk-or-v1-[0-9a-f]{3}\.\.\.[0-9a-f]{4}/;

/** What each command must do: its exit code and a line of its output (stdout + stderr). */
const EXPECTED: { command: RegExp; code: number; output: RegExp }[] = [
  { command: /key-rotator status demo-app$/, code: 0, output: /^demo-app: .*\n {2}schedule {6}active/m },
  {
    command: /key-rotator rotate demo-app --wait$/,
    code: 0,
    output: /^Rotation of demo-app succeeded in .*\n {2}new key {7}sk-or-v1-/m,
  },
  { command: /key-rotator history demo-app$/, code: 0, output: /succeeded/ },
  {
    command: /key-rotator pause demo-app$/,
    code: 0,
    output: /^ {2}schedule {10}(paused|was already paused)/m,
  },
  { command: /key-rotator resume demo-app$/, code: 0, output: /^ {2}schedule {10}resumed/m },
];

const dataDir = mkdtempSync(path.join(tmpdir(), 'readme-commands-'));
let stack: RunningLocalStack;

/** The commands of the README's ```sh tested blocks, one per line, comments dropped. */
function readmeCommands(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```sh tested\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** The commands the start-up banner prints under "Try, in another terminal in this folder:". */
function bannerCommands(output: string): string[] {
  const demo = linesFrom(output, 'demo');
  const from = demo.findIndex((line) => line.startsWith('Try, in another terminal'));
  return demo
    .slice(from + 1)
    .filter((line) => / npx --no-install key-rotator /.test(` ${line}`))
    .map((line) => line.replace(/\s+\(and `[^`]*`\)$/, '').trim());
}

/** The variables the banner sets on its commands (how the CLI finds this stack), as an env. */
function bannerVariables(command: string): Record<string, string> {
  const assignments = /^((?:[A-Z_]+=\S+ )*)npx /.exec(command)?.[1] ?? '';
  return Object.fromEntries(
    assignments
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
  );
}

function runShell(
  command: string,
  env: Record<string, string>,
): Promise<{ code: number; output: string; tookMs: number }> {
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/^(TEMPORAL_|KEY_ROTATOR_|OPENROUTER_)/.test(name)) base[name] = value;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      { cwd: REPO_ROOT, env: { ...base, ...env }, timeout: 300_000, maxBuffer: 8 << 20 },
      (error, stdout, stderr) =>
        resolve({
          code: typeof error?.code === 'number' ? error.code : error ? -1 : 0,
          output: stdout + stderr,
          tookMs: Date.now() - started,
        }),
    );
  });
}

beforeAll(async () => {
  stack = startLocalStack(await freeLocalStackPorts(), dataDir);
  await waitFor(async () => /rotation of demo-app succeeded/.test(stack.output()), {
    what: 'npm start ready and its first rotation done',
    timeoutMs: FIRST_ROTATION_TIMEOUT_MS,
    intervalMs: 1_000,
    abortIf: () => stack.assertRunning(),
  });
  await waitFor(async () => /The local stack is ready/.test(stack.output()), {
    what: 'the banner',
    timeoutMs: 60_000,
    abortIf: () => stack.assertRunning(),
  });
}, FIRST_ROTATION_TIMEOUT_MS + 120_000);

afterAll(async () => {
  const code = await stack?.stop();
  console.log(`npm start (what you should see):\n${stack?.output() ?? ''}\n(exit ${code})`);
  rmSync(dataDir, { recursive: true, force: true });
}, 90_000);

describe('the README and the start-up banner', () => {
  it('every command they print works as printed: exit code and a line of output', async () => {
    const fromReadme = readmeCommands();
    const fromBanner = bannerCommands(stack.output());
    expect(fromReadme.length).toBeGreaterThanOrEqual(3);
    expect(fromBanner.length).toBeGreaterThanOrEqual(3);
    // The README's commands assume the default ports; the banner says how to reach this stack.
    const stackEnv = bannerVariables(fromBanner[0]!);

    for (const [command, env] of [
      ...fromReadme.map((c) => [c, stackEnv] as const),
      ...fromBanner.map((c) => [c, {}] as const),
    ]) {
      const expected = EXPECTED.find((e) => e.command.test(command));
      expect(expected, `no expectation for \`${command}\`: add one to EXPECTED`).toBeDefined();
      const run = await runShell(command, env);
      console.log(`$ ${command}   (exit ${run.code}, ${(run.tookMs / 1000).toFixed(1)} s)\n${run.output}`);
      expect(run.code, `${command}\n${run.output}`).toBe(expected!.code);
      expect(run.output, command).toMatch(expected!.output);
      expect(run.output).not.toMatch(KEY_PATTERN);
    }
  }, 900_000);
});

describe('the Temporal Web UI at the printed address', () => {
  let browser: BrowserContext | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it.skipIf(!existsSync(CHROMIUM))(
    "shows a finished rotation's input and result decoded: step names and key labels, never a key",
    async () => {
      const uiLine = linesFrom(stack.output(), 'demo').find((line) => line.startsWith('Temporal Web UI'));
      const workflowsUrl = /(http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows)/.exec(
        uiLine ?? '',
      )?.[1];
      expect(workflowsUrl, uiLine).toBeDefined();

      const session = await connectTemporal({
        env: {
          TEMPORAL_ADDRESS: `127.0.0.1:${stack.ports.temporal}`,
          KEY_ROTATOR_CODEC_KEY_FILE: path.join(dataDir, 'codec-keyring.json'),
        },
      });
      let runId: string;
      try {
        const [run] = (
          await session.connection.workflowService.listWorkflowExecutions({
            namespace: 'default',
            query: `WorkflowId = '${rotationWorkflowId('demo-app')}' AND ExecutionStatus = 'Completed'`,
          })
        ).executions;
        runId = run!.execution!.runId!;
      } finally {
        await session.close();
      }

      // A fresh profile, as the flags below: nothing from an earlier run or another user.
      browser = await chromium.launchPersistentContext(mkdtempSync(path.join(dataDir, 'chromium-')), {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1440, height: 1600 },
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const page = await browser.newPage();
      await page.goto(`${workflowsUrl}/${rotationWorkflowId('demo-app')}/${runId}/history`, {
        waitUntil: 'domcontentloaded',
        timeout: 120_000,
      });
      // The UI fetches the history, then asks the codec server to decode it.
      const text = await waitFor(
        async () => {
          const body = await page.locator('body').innerText();
          return /preflight/.test(body) && LABEL_PATTERN.test(body) ? body : undefined;
        },
        { what: 'the decoded input and result in the Web UI', timeoutMs: 120_000, intervalMs: 1_000 },
      );
      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: false });

      expect(text).toContain('demo-app');
      expect(text).toMatch(/"?step"?:\s*"?(preflight|create|store|grace|verify|delete)/);
      expect(text).toMatch(LABEL_PATTERN);
      expect(text).not.toMatch(/Codec Server could not connect/i);
      const html = await page.content();
      expect(html).not.toMatch(KEY_PATTERN);
      expect(text).not.toMatch(KEY_PATTERN);
    },
    300_000,
  );
});
