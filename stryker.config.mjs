// Mutation testing of the protocol core and the hub (`npm run mutate`; too slow for CI). Node's own
// test runner prints TAP when asked, so Stryker's TAP runner runs each unit test file through tsx.
// The hub's tests drive it through its SocketLike seam (test/unit/hub-kit.ts): no network.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/protocol/**/*.ts', 'src/hub/**/*.ts'],
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  tap: {
    // The unit tests that exercise src/protocol and src/hub without starting servers.
    testFiles: ['test/unit/**/*.test.ts', 'test/hardening/*-props.test.ts', 'test/core/ids.test.ts'],
    nodeArgs: ['--test-reporter=tap', '--import', 'tsx', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: '.stryker/report/index.html' },
  jsonReporter: { fileName: '.stryker/report/mutation.json' },
  tempDirName: '.stryker/tmp',
  incremental: false,
  ignorePatterns: ['dist', 'bench', '.bench-results', 'test-results', 'data', '.stryker'],
  thresholds: { high: 90, low: 80, break: 80 },
};
