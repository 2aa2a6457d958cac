// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * The folders of src/, from the ground floor up: a module imports from its own folder and from
 * folders listed before it, never from one listed after (`import type` included: a type is a
 * dependency too). The one exception is Temporal's own idiom, which this order already allows:
 * workflows import activity types only (the workflow rule below refuses their values).
 */
const LAYERS = [
  'errors', // typed errors, errno codes, redaction, Retry-After
  'logging', // how log lines look: text, or one JSON record per line (KEY_ROTATOR_LOG_FORMAT)
  'fields', // the building blocks of config and policy fields: durations, times, URLs, paths, names, secret refs
  'config-files', // reading an operator's YAML file and saying what is wrong in it, where
  'process', // how long-running commands stop
  'temporal', // how to reach Temporal
  'codec', // the payload codec, the sealer and the codec server
  'openrouter', // the management API client
  'emulator', // the OpenRouter emulator
  'events', // lifecycle events and their sinks
  'stores', // one folder per destination, behind SecretStore
  'config', // the rotations file: its schema and loader
  'policy', // the worker policy, and checking rotations against it
  'workflow-contract', // what client, workflows and activities share: ids, task queues, messages, search attributes, key names
  'activities',
  'workflows',
  'worker', // runs the workers from the environment
  'client', // the CLI
  'dev', // a local Temporal dev server (a tool, not built into the product)
  'demo', // `npm start` (a tool, not built into the product)
];

{
  const entries = readdirSync(`${import.meta.dirname}/src`, { withFileTypes: true });
  const unlisted = entries
    .filter((e) => e.isDirectory() && !LAYERS.includes(e.name))
    .map((e) => `src/${e.name}/`);
  const loose = entries.filter((e) => e.isFile()).map((e) => `src/${e.name}`);
  if (unlisted.length > 0 || loose.length > 0) {
    throw new Error(
      `eslint.config.js: ${[...unlisted, ...loose].join(', ')} ${unlisted.length + loose.length === 1 ? 'is' : 'are'} ` +
        'not in LAYERS: put a folder in the layer order, and a module in the folder of its concept',
    );
  }
}

/**
 * The rules of the folder at `index`: no import of a folder above it (static, or dynamic through
 * `import()`), and `own` restrictions of its own (in the same rule: a later config block's
 * options for a rule replace an earlier one's).
 */
function layerRules(index, own = {}) {
  const higher = LAYERS.slice(index + 1);
  const paths = own.paths ?? [];
  const patterns = [...(own.patterns ?? [])];
  const rules = {};
  if (higher.length > 0) {
    const regex = `^(\\.\\./)+(${higher.join('|')})/`;
    const message =
      `src/${LAYERS[index]}/ may import only from folders below it, in the order ${LAYERS.join(' < ')} ` +
      '(eslint.config.js, LAYERS): move what both need down, or this code up.';
    patterns.push({ regex, message });
    rules['no-restricted-syntax'] = [
      'error',
      { selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\/')}/]`, message },
    ];
  }
  if (paths.length + patterns.length > 0) rules['no-restricted-imports'] = ['error', { paths, patterns }];
  return rules;
}

const noNodeBuiltins = nodeBuiltins.map((name) => ({
  name,
  message: 'Node built-ins are not allowed in workflow code.',
}));

/** Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, activity types only. */
const workflowRestrictions = {
  paths: noNodeBuiltins,
  patterns: [
    {
      group: ['../activities/*', '../stores/*', '../openrouter/client*'],
      message: 'Workflows may only import activity types.',
      allowTypeImports: true,
    },
  ],
};

/** Restrictions of a folder's own besides the import direction. */
const OWN_RESTRICTIONS = {
  workflows: workflowRestrictions,
  // The workflows import the contract, so it runs in the sandbox too.
  'workflow-contract': { paths: noNodeBuiltins },
};

const layerBlocks = LAYERS.map((folder, index) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: layerRules(index, OWN_RESTRICTIONS[folder]),
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerBlocks,
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
