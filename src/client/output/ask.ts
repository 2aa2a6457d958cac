/**
 * Asking the person at the terminal a question (a confirmation before something that cannot be
 * undone). Only where stdin is a terminal: a script has nobody to answer, and must say so itself
 * (e.g. `--yes`).
 */
import { createInterface } from 'node:readline';

export interface InputStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

/** Asks `question` on `prompt` (stderr, so stdout stays parseable) and resolves with the answer. */
export type Ask = (question: string) => Promise<string>;

/** An `Ask` on `input` if it is a terminal, else undefined. Ctrl-C or Ctrl-D answer "" (no). */
export function terminalAsk(input: InputStream, prompt: NodeJS.WritableStream): Ask | undefined {
  if (input.isTTY !== true) return undefined;
  return (question) =>
    new Promise((resolve) => {
      const rl = createInterface({ input, output: prompt, terminal: true });
      let answer = '';
      rl.once('line', (line) => {
        answer = line;
        rl.close();
      });
      rl.once('SIGINT', () => {
        prompt.write('\n');
        rl.close();
      });
      rl.once('close', () => resolve(answer));
      rl.setPrompt(question);
      rl.prompt();
    });
}
