// Mocha's settings for `npm test`. The whole suite is test/**/*.test.ts; `npm test -- FILE...` (or
// `npx mocha FILE...`) runs only the files named, since mocha adds the files a config names to those
// of the command line rather than replacing them.
const named = process.argv.slice(2).some((arg) => !arg.startsWith('-') && /\.[cm]?[jt]s$|^test\//.test(arg));

// `no-experimental-require-module`: mocha loads every file with import(), as the app runs (ESM), and
// not with require() where it can: the feature registry awaits its features at the top level, which
// require() refuses, and a mix would load test/support/hooks.ts twice (one database per copy).
module.exports = {
  'node-option': ['import=tsx', 'no-experimental-require-module'],
  extension: ['ts'],
  spec: named ? [] : ['test/**/*.test.ts'],
  require: ['test/support/hooks.ts'],
  timeout: 30000,
  reporter: 'spec',
  ignore: ['test/image/**'],
};
