// The dashboard's lint rules (a browser app: DOM globals, no Node), applied by the root eslint.config.mjs.
import tseslint from 'typescript-eslint';

export default tseslint.config({
  files: ['dashboard/src/**/*.{ts,tsx}'],
  languageOptions: {
    parserOptions: { projectService: true },
    globals: { window: 'readonly', document: 'readonly', sessionStorage: 'readonly', fetch: 'readonly' },
  },
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    // The API key lives in sessionStorage only: never in localStorage, and never logged.
    'no-restricted-globals': ['error', { name: 'localStorage', message: 'Keys stay in sessionStorage.' }],
    'no-console': 'error',
    // The dashboard talks to the public API only: nothing from the service's own code.
    'no-restricted-imports': ['error', { patterns: ['**/src/*', '../../src/**'] }],
    eqeqeq: 'error',
  },
});
