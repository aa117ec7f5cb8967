// ESLint: the recommended JavaScript and typescript-eslint rules over src/, migrations/ and test/,
// and the layering of src/ (docs/md/architecture.md, "Layers and the import rule").
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, first match wins: the edges, the HTTP layer, each feature's registration
 * (`feature.ts`, which the registry finds), route modules, use-case modules, storage, mail, the
 * database and the base modules, then the rest of every feature folder — a folder made by
 * `startapp` is a feature with no edit here.
 */
export const LAYERS = [
  {
    type: 'edge',
    pattern: ['src/admin/**', 'src/commands/**', 'src/{app,server,cli,startup,worker-flags,registry}.ts'],
    mode: 'full',
  },
  { type: 'http', pattern: 'src/http/**', mode: 'full' },
  { type: 'registration', pattern: 'src/*/feature.ts', mode: 'full' },
  { type: 'routes', pattern: 'src/*/routes.ts', mode: 'full', capture: ['feature'] },
  { type: 'service', pattern: 'src/*/service.ts', mode: 'full', capture: ['feature'] },
  { type: 'storage', pattern: 'src/storage/**', mode: 'full' },
  { type: 'mail', pattern: 'src/mail/**', mode: 'full' },
  { type: 'db', pattern: 'src/db/**', mode: 'full' },
  {
    type: 'base',
    pattern: ['src/{config,logger,paths,deps,errors,drf-wordings,network,metrics}.ts', 'src/config/**', 'src/i18n/**'],
    mode: 'full',
  },
  { type: 'feature', pattern: 'src/*/**', mode: 'full' },
];

const layer = (...types) => ({ to: { element: { types: { anyOf: types } } } });

/** Who may import whom; anything not allowed here is an error. */
export const IMPORT_RULE = {
  default: 'disallow',
  policies: [
    { from: { element: { type: 'base' } }, allow: layer('base') },
    // deps.ts names each layer's interface (the bag createApp is given), as types only.
    {
      from: { file: { path: 'src/deps.ts' } },
      allow: { ...layer('db', 'storage', 'mail', 'feature'), dependency: { kind: 'type' } },
    },
    { from: { element: { type: 'db' } }, allow: layer('base', 'db') },
    { from: { element: { type: 'storage' } }, allow: layer('base', 'storage') },
    // Mail, like storage, is an external service behind a small interface: it knows only the base.
    { from: { element: { type: 'mail' } }, allow: layer('base', 'mail') },
    { from: { element: { type: 'http' } }, allow: layer('base', 'http') },
    // Services speak the domain: no http/, and no route module.
    { from: { element: { type: 'service' } }, allow: layer('base', 'db', 'storage', 'mail', 'service', 'feature') },
    {
      from: { element: { type: 'feature' } },
      allow: layer('base', 'db', 'storage', 'mail', 'http', 'service', 'feature'),
    },
    // A feature's registration names its routes and resources; only the registry imports it.
    {
      from: { element: { type: 'registration' } },
      allow: layer('base', 'db', 'storage', 'mail', 'http', 'service', 'feature', 'routes'),
    },
    // A route module imports no other route module; only the edges mount routers.
    {
      from: { element: { type: 'routes' } },
      allow: layer('base', 'db', 'storage', 'mail', 'http', 'service', 'feature'),
    },
    {
      from: { element: { type: 'edge' } },
      allow: layer('base', 'db', 'storage', 'mail', 'http', 'service', 'feature', 'routes', 'registration', 'edge'),
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'client/dist/', 'site/', 'data/', 'node_modules/', 'docs/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': LAYERS,
      'import/resolver': { typescript: { project: './tsconfig.json' } },
    },
    rules: {
      'boundaries/dependencies': ['error', IMPORT_RULE],
      'boundaries/no-unknown-files': 'error',
    },
  },
  {
    // The configuration module is the one reader of the environment (src/config/environment.ts).
    files: ['src/**/*.ts'],
    ignores: ['src/config/environment.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through src/config.ts (a variable of the schema), not process.env.',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    // Tools' settings that must be CommonJS (.mocharc.cjs): Node's CommonJS globals.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', process: 'readonly' },
    },
  },
);
