// Lint rules for src/, test/, scripts/ and bench/: typescript-eslint's recommended set.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'data/', 'node_modules/', '.bench-results/', '.stryker/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
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
