import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import boundaries from 'eslint-plugin-boundaries';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'data/**',
      'coverage/**',
      'node_modules/**',
      'test/bridge/.shims/**',
      '**/*.cjs',
      'eslint.config.js',
      'jest.config.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // NestJS classes are often empty shells carrying decorators.
      '@typescript-eslint/no-extraneous-class': 'off',
      // Framework callbacks (pino, express) are typed loosely; explicit `any` still needs a reason.
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  // The layering (docs/design.md, "Code layout"): platform code imports no feature; a feature imports platform
  // code and other features only through their index.ts; only the composition root (src/*.ts) and the CLI know
  // every module. And no import cycle anywhere in src/.
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import/resolver': { typescript: { project: './tsconfig.json' } },
      'boundaries/include': ['src/**/*.ts'],
      'boundaries/elements': [
        { type: 'platform', pattern: 'src/platform/*', capture: ['area'] },
        { type: 'feature', pattern: 'src/modules/*', capture: ['feature'] },
        { type: 'cli', pattern: 'src/cli' },
        { type: 'root', pattern: 'src' },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            // Inside one element (one platform area, one feature): anything; npm packages and Node: anything.
            { allow: { dependency: { relationship: { to: 'internal' } } } },
            { allow: { to: { module: { origin: ['external', 'core'] } } } },
            { from: { element: { type: 'platform' } }, allow: { to: { element: { type: 'platform' } } } },
            {
              from: { element: { type: 'feature' } },
              allow: {
                to: [
                  { element: { type: 'platform' } },
                  { element: { type: 'feature', fileInternalPath: 'index.ts' } },
                ],
              },
            },
            {
              from: { element: { types: { anyOf: ['cli', 'root'] } } },
              allow: {
                to: [
                  { element: { types: { anyOf: ['platform', 'cli', 'root'] } } },
                  { element: { type: 'feature', fileInternalPath: 'index.ts' } },
                ],
              },
            },
          ],
        },
      ],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      // supertest bodies are `any` by nature.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  prettier,
);
