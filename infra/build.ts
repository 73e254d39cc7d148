import { Validations, type App } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { suppressAcceptedFindings } from './nag.ts';
import { TopicWebhooksStack } from './stack.ts';

/** The stack's name unless `-c stackName=...` says otherwise. */
export const DEFAULT_STACK_NAME = 'TopicWebhooks';

/**
 * Builds the app's one stack and checks it with cdk-nag's AwsSolutions pack. A finding that is
 * neither fixed nor suppressed with its reason (infra/nag.ts) is an error, and `cdk synth`
 * fails on it. infra/app.ts and the tests build the same app through this function.
 */
export function buildApp(app: App): TopicWebhooksStack {
  const stackName: unknown = app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME;
  if (typeof stackName !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    throw new Error('invalid stack configuration: stackName must start with a letter and hold letters, digits and -');
  }
  const stack = new TopicWebhooksStack(app, stackName, {
    // Environment-agnostic unless the CLI knows the account (it does when deploying).
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  suppressAcceptedFindings(stack);
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
