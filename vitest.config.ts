import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // e2e runs against a deployed stack only through `npm run test:e2e`; the same suite runs
    // against local mode inside `npm test` through test/e2e/local.test.ts.
    exclude: ['test/e2e/deployed.test.ts', 'node_modules/**'],
    setupFiles: ['test/helpers/cdk-outdir.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_EC2_METADATA_DISABLED: 'true',
      // Handlers log one line per delivery and flush EMF metrics; keep test output readable.
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
  },
});
