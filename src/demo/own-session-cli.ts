/**
 * The Temporal CLI started in a session of its own (`setsid`). Ctrl-C in a terminal signals the
 * whole foreground process group: without this, the dev server would stop at the same moment as
 * the worker, which then cannot finish its tasks (or, while it starts, retries a dead server).
 * With it, only `npm start` hears Ctrl-C, and stops the worker first and the dev server last, by
 * PID. Where `setsid` is missing (macOS), the CLI is used as is.
 *
 * setsid replaces itself with the CLI (no fork: the spawned child is not a group leader), so the
 * PID the launcher sees is the server's own.
 */
import { constants } from 'node:fs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

async function findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A launcher for `cliPath` in its own session, written to `dir`; `cliPath` itself without setsid. */
export async function ownSessionCli(cliPath: string, dir: string, env = process.env): Promise<string> {
  const setsid = await findOnPath('setsid', env);
  if (!setsid) return cliPath;
  const launcher = path.join(dir, 'temporal-own-session');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(
    launcher,
    `#!/bin/sh\n# Written by npm start (src/demo/own-session-cli.ts): the Temporal CLI in a session of its own.\n` +
      `exec ${shellQuote(setsid)} ${shellQuote(cliPath)} "$@"\n`,
    { mode: 0o700 },
  );
  return launcher;
}
