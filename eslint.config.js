// Lint rules for src/, test/, scripts/ and bench/: typescript-eslint's recommended set. Browser
// code (the console, the demo page, its service worker) gets the browser's globals, not Node's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const BROWSER = ['src/console/browser/**', 'src/demo/browser/**', 'src/demo/worker/**'];

export default tseslint.config(
  { ignores: ['dist/', 'data/', 'node_modules/', '.bench-results/', '.stryker/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    ignores: BROWSER,
    languageOptions: { globals: { ...globals.node } },
  },
  { files: ['src/console/browser/**', 'src/demo/browser/**'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['src/demo/worker/**'], languageOptions: { globals: { ...globals.serviceworker } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Application data in the client's public API is whatever the app sent, and tests read JSON
    // off the wire: \`any\` there is deliberate. Everywhere else it must be spelled out.
    files: ['src/client/**', 'test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
