// ESLint (flat config): typescript-eslint and eslint-plugin-svelte's recommended rules, and the
// layers of the code as import rules, so that the build fails when a layer reaches where it must
// not (README, "Layout").
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

/** `no-restricted-imports` for the files of one layer. */
const layer = (files, ...patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const ELECTRON = { group: ['electron', 'electron/*'], message: 'only src/main/desktop (and the preload) may import electron' };

export default ts.config(
  { ignores: ['out/', 'dist/', 'node_modules/', 'src/renderer/public/', 'test/data/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Control characters in patterns are meant: titles, names and labels are cleaned of them.
      'no-control-regex': 'off',
    },
  },
  {
    // A variable a callback reads before its one assignment cannot be a const. (Components keep
    // eslint-plugin-svelte's own setting, which knows $props.)
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: { 'prefer-const': ['error', { ignoreReadBeforeAssign: true }] },
  },
  {
    // Test doubles and fixtures reach into loosely typed objects on purpose.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { globals: { ...globals.browser }, parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
    // State is declared with $state where it is meant; a Map or URL inside a pure helper or a
    // method must stay a plain one (making it reactive would only cost).
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    files: ['src/renderer/**'],
    // __APP_VERSION__: set at build time (electron.vite.config.ts).
    languageOptions: { globals: { ...globals.browser, __APP_VERSION__: 'readonly' } },
  },
  // Electron only in src/main/desktop and the preload.
  layer(['src/**/*.ts', 'src/**/*.svelte'], ELECTRON),
  { files: ['src/main/desktop/**', 'src/preload/**'], rules: { 'no-restricted-imports': 'off' } },
  // The UI never reaches into the back end or Node.
  layer(
    ['src/renderer/**'],
    ELECTRON,
    { group: ['**/main/**', '**/preload/**'], message: 'the renderer talks to the back end through the contract only' },
    { group: ['node:*'], message: 'the renderer runs in a browser' },
  ),
  // What every side shares imports nothing runtime-specific.
  layer(['src/shared/**'], ELECTRON, {
    group: ['node:*', '**/main/**', '**/renderer/**', '**/preload/**'],
    message: 'src/shared is imported by every side: no runtime-specific imports',
  }),
  // The engine knows nothing of sessions, storage or transports; storage nothing of the engine.
  layer(['src/main/engine/**'], ELECTRON, {
    group: ['**/storage/**', '**/sessions/**', '**/bridge/**', '**/server/**', '**/desktop/**', '**/cli/**'],
    message: 'the engine does not depend on storage, sessions or transports',
  }),
  layer(['src/main/storage/**'], ELECTRON, {
    group: ['**/engine/**', '**/sessions/**', '**/bridge/**', '**/server/**', '**/desktop/**', '**/cli/**'],
    message: 'storage does not depend on the engine, sessions or transports',
  }),
);
