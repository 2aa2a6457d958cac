/** The lines `npm start` prints once it is ready: where to look, and what to try. No secret. */

export interface WhereToLook {
  rotation: string;
  /** From the start of `npm start` until ready. */
  readyInMs: number;
  temporalAddress: string;
  uiUrl?: string;
  /** The codec server the Web UI decodes rotations with. */
  codecServerUrl?: string;
  /** One phrase: which OpenRouter the demo talks to. */
  openRouter: string;
  /** The file holding the app's current key (a path, never its content). */
  secretFile: string;
  /** Whether the simulated consumer app reads that file (emulator mode). */
  consumer: boolean;
  configFile: string;
  metricsAddress: string;
  /** Variables the CLI needs in another terminal (empty when the defaults work; never a management key). */
  cliEnv: Record<string, string>;
}

export function whereToLookLines(info: WhereToLook): string[] {
  const rule = '─'.repeat(78);
  const row = (label: string, value: string) => `  ${label.padEnd(18)}${value}`;
  const assignments = (env: Record<string, string>) =>
    Object.entries(env).map(([name, value]) => `${name}=${value} `);
  const cli = (args: string) => `  ${assignments(info.cliEnv).join('')}npx --no-install key-rotator ${args}`;
  return [
    rule,
    `The local stack is ready (in ${(info.readyInMs / 1000).toFixed(1)} s).`,
    row('Temporal Web UI', info.uiUrl ? `${info.uiUrl}/namespaces/default/workflows` : '(headless)'),
    ...(info.codecServerUrl
      ? [row('Codec server', `${info.codecServerUrl} (the Web UI shows rotations decoded; keys stay sealed)`)]
      : []),
    row('Temporal server', info.temporalAddress),
    row('OpenRouter', info.openRouter),
    row(
      "The app's key",
      `${info.secretFile} (the rotation writes it${info.consumer ? '; the consumer app reads it' : ''})`,
    ),
    row('Rotations file', info.configFile),
    row('Worker metrics', `http://${info.metricsAddress}/metrics`),
    '',
    'Try, in another terminal in this folder:',
    cli(`status ${info.rotation}`),
    cli(`rotate ${info.rotation} --wait`),
    `${cli(`pause ${info.rotation}`)}   (and \`resume ${info.rotation}\`)`,
    Object.keys(info.cliEnv).length > 0
      ? '(the variables point the CLI at this demo; the defaults are 127.0.0.1:7233 and .data/codec-keyring.json)'
      : '(the CLI reaches Temporal at 127.0.0.1:7233 and finds the codec key in .data/ by itself)',
    'Ctrl-C stops everything; `npm start` again resumes with the same state.',
    rule,
  ];
}
