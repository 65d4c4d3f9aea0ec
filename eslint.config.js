// ESLint (flat config): the house rules that tsc cannot check. Syntax-only (no type
// information), so `npm test` pays seconds, not a second type-check; tsc stays the type gate.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const NO_DEFAULT_EXPORT = 'No default exports: export a named binding so every import spells the same name.';

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', 'data/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: NO_DEFAULT_EXPORT },
        { selector: 'ExportSpecifier[exported.name="default"]', message: NO_DEFAULT_EXPORT },
        { selector: 'TSExportAssignment', message: NO_DEFAULT_EXPORT },
      ],
      // A type-only import is erased by tsx/esbuild and tsc alike; marking it keeps a module that
      // only needs a type from loading (and running) the module that declares it.
      // `import('x').T` in a type position stays allowed: it loads nothing either.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // `import { type A }` alone still keeps `import 'x'` under verbatim module syntax: `import type`.
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
  {
    // A declaration file describes a third-party module as it is, default export included.
    files: ['**/*.d.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
