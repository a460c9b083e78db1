// Mutation testing of the pure protocol core and the hub's decisions (`npm run mutate`; too slow for
// CI). Node's own test runner prints TAP when asked, so Stryker's TAP runner runs each unit test file
// through tsx. The hub is driven through its SocketLike seam (test/unit/hub-kit.ts), no network.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'src/protocol/**/*.ts',
    // What the hub decides: admission, dispatch and the sweep; joining and leaving channels with
    // their limits; client events; sign-in; a connection's writes; channel and member bookkeeping.
    // Left out (docs/testing.md says why): local-node, publisher, queries, observer, extension.
    'src/hub/hub.ts',
    'src/hub/subscriptions.ts',
    'src/hub/client-events.ts',
    'src/hub/users.ts',
    'src/hub/connection.ts',
    'src/hub/app-state.ts',
    'src/hub/channel.ts',
    'src/hub/joined-channels.ts',
  ],
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
