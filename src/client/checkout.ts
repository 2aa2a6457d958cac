/**
 * Whether the CLI runs inside a checkout of this repository, and how a user there types a
 * command: `npx --no-install key-rotator …` in a checkout (npm runs the checkout's own bin;
 * `--no-install` keeps npx from fetching a registry package of that name, which is not ours),
 * `key-rotator …` elsewhere (the installed package or the image). Hints that print a command use this, so the
 * command works when pasted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The `name` in this repository's package.json. */
export const PACKAGE_NAME = 'openrouter-key-rotator';

/** The root of the checkout that holds `cwd` (the folder of our package.json), or undefined. */
export function findCheckout(cwd: string): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (manifest.name === PACKAGE_NAME) return dir;
    } catch {
      // No package.json here, or not JSON: look further up.
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** `npx --no-install key-rotator <args>` in a checkout, `key-rotator <args>` elsewhere. */
export function cliCommand(args: string, cwd: string): string {
  return `${findCheckout(cwd) ? 'npx --no-install ' : ''}key-rotator ${args}`;
}
