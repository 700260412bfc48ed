import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import dashboard from './dashboard/eslint.config.mjs';

/**
 * The layout rules of the house style, enforced: production code never imports the offline evaluation (a
 * leaf), the ranking core imports no framework and no database, the vector index never imports the
 * recommendations, and no feature imports an entry point. Each later block repeats the earlier patterns
 * because a flat-config block replaces a rule's options for the files it matches.
 */
function layoutRules() {
  const evaluation = {
    group: ['**/evaluation', '**/evaluation/*'],
    message: 'production code never imports src/evaluation (offline evaluation is a leaf)',
  };
  const entryPoints = {
    group: ['**/cli', '**/cli/*', '**/cli.js', '**/main', '**/http-app'],
    message: 'a feature never imports an entry point',
  };
  const framework = {
    group: ['@nestjs/*', 'typeorm', 'pg', 'rxjs', 'express'],
    message: 'the ranking core is framework-free: plain functions over plain data',
  };
  const outsideCore = (up) => ({
    group: [`${up}*`, `!${up}common`, `!${up}common/vectors`, `!${up}common/random`],
    message: 'the ranking core imports only its own files and src/common helpers',
  });
  const recommendations = {
    group: ['**/recommendations', '**/recommendations/*'],
    message: 'the vector index never imports the recommendations',
  };
  const feature = ['src/**/*.ts'];
  const notFeature = [
    'src/evaluation/**',
    'src/cli/**',
    'src/cli.ts',
    'src/main.ts',
    'src/http-app.ts',
    'src/**/*.spec.ts',
  ];
  const rule = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
  return [
    { files: feature, ignores: notFeature, rules: rule(evaluation, entryPoints) },
    {
      files: ['src/ranking/*.ts'],
      ignores: notFeature,
      rules: rule(evaluation, entryPoints, framework, outsideCore('../')),
    },
    {
      files: ['src/ranking/*/**/*.ts'],
      ignores: notFeature,
      rules: rule(evaluation, entryPoints, framework, outsideCore('../../')),
    },
    {
      files: ['src/vector-index/**/*.ts'],
      ignores: notFeature,
      rules: rule(evaluation, entryPoints, recommendations),
    },
  ];
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.data/**',
      'bin/**',
      'scripts/**',
      '*.config.js',
      '*.config.mjs',
      'dashboard/dist/**',
      'dashboard/*.config.mjs',
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  ...dashboard,
  ...layoutRules(),
  {
    files: ['test/**/*.ts', 'src/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
