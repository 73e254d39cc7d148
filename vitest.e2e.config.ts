import { defineConfig } from 'vitest/config';

/**
 * `npm run test:e2e`: the black-box suite against a deployed stack (test/e2e/deployed.test.ts),
 * the target chosen by environment (E2E_BASE_URL, or E2E_OUTPUTS_FILE with E2E_TARGET=localstack;
 * see docs/deploy.md). Network round trips to a cold Lambda take seconds, hence the timeouts.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/deployed.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One stack, one set of limits: run the files one after another.
    fileParallelism: false,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  },
});
