// Mocha's settings for `npm test`. The whole suite is test/**/*.test.ts; `npm test -- FILE...` (or
// `npx mocha FILE...`) runs only the files named, since mocha adds the files a config names to those
// of the command line rather than replacing them.
const named = process.argv.slice(2).some((arg) => !arg.startsWith('-') && /\.[cm]?[jt]s$|^test\//.test(arg));

module.exports = {
  'node-option': ['import=tsx'],
  extension: ['ts'],
  spec: named ? [] : ['test/**/*.test.ts'],
  require: ['test/support/hooks.ts'],
  timeout: 30000,
  reporter: 'spec',
  ignore: ['test/image/**'],
};
