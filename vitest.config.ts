import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // e2e runs against a deployed stack only through `npm run test:e2e`; the same suite runs
    // against local mode inside `npm test` through test/e2e/local.test.ts.
    exclude: ['test/e2e/deployed.test.ts', 'node_modules/**'],
    setupFiles: ['test/helpers/cdk-outdir.ts'],
    // Tests import the client through its package entry, the built client/dist.
    globalSetup: ['test/client/build-client.ts'],
    // The gate covers the service's own code: the domain and adapters (shared/) and the Lambda
    // entry points and glue (functions/). Local mode, infra, the client and the bench have
    // their own tests but no gate.
    coverage: {
      provider: 'v8',
      include: ['shared/**/*.ts', 'functions/**/*.ts'],
      reporter: ['text-summary'],
      // Set at what the suite reaches (lines 98.5 %, statements 97 %, branches 89 %, functions 97 %), less a point.
      thresholds: { lines: 97, statements: 96, branches: 88, functions: 96 },
    },
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
