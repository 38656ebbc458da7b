// ESLint flat config (run: `npm run lint`). Formatting is Prettier's job; these rules catch bugs.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS_FILES = ['**/*.ts', '**/*.mts', '**/*.cts'];

export default defineConfig(
  globalIgnores(['dist/', 'coverage/', 'test-results/', 'bench/results/', '.taskhook/']),

  // Everything: ESLint's recommended set, on Node 20 globals.
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },

  // TypeScript: type-aware rules (all .ts files are in tsconfig.json, so the project service finds them).
  {
    files: TS_FILES,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      // `async` on a method with no await is deliberate here (port implementations: a throw becomes a rejection).
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },

  // Root-level dot-files (local scratch configs kept out of git, e.g. `.vitest.unit.mts`) are not in tsconfig.json:
  // lint them without type information instead of failing to parse.
  {
    files: ['.*.{ts,mts,cts}'],
    extends: [tseslint.configs.disableTypeChecked],
  },

  // Where printing is the point: the local CLI and demo, the build script, the bench harness, the bin shim.
  {
    files: ['src/local/**', 'scripts/**', 'bench/**', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
  // Tests poke at parsed JSON and SDK internals, where `any` is the honest type; console is fine.
  {
    files: ['test/**'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
