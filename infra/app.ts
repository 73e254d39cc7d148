#!/usr/bin/env node
/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`). `cdk deploy` targets AWS; add
 * `-c target=localstack` for LocalStack's free image. Settings: infra/config.ts, docs/deploy.md.
 */
import { App } from 'aws-cdk-lib';
import { buildApp } from './build.ts';

const app = new App();
buildApp(app);
app.synth();
