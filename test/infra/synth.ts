import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build.ts';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import type { TopicWebhooksStack } from '../../infra/stack.ts';

/**
 * What the infra tests share beyond `aws-cdk-lib/assertions` (`Template`, `Match`, `Capture`):
 * how this project's app is built for a test, and the IAM statements attached to one role,
 * which the assertions library has no single call for.
 */

export interface Synthesized {
  app: App;
  stack: TopicWebhooksStack;
  template: Template;
}

/** cdk.json's context (feature flags), so tests synthesize what the CLI synthesizes. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

/**
 * Synthesizes the app as infra/app.ts builds it (cdk-nag included: synthesis throws on an
 * unaccepted finding), without bundling (a test that needs bundles runs the CLI) and without
 * CDK's built-in template validation, which costs seconds per synth and runs in the CLI test.
 */
export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stack = buildApp(app);
  // Synthesizes the app once (validations, so cdk-nag, included); the assembly is cached on the app.
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id of a construct's default CloudFormation resource. */
export function logicalIdOf(stack: TopicWebhooksStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** An IAM policy statement as synthesized. */
export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** IAM takes a single value or a list for Action and Resource. */
export const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Every statement of every AWS::IAM::Policy attached to a role (by the role's logical id). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) } });
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}
