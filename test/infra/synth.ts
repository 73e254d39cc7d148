import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../infra/build.ts';
import { PROJECT_ROOT } from '../../infra/constructs/service-function.ts';
import type { TopicWebhooksStack } from '../../infra/stack.ts';

/** A CloudFormation resource as synthesized. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

export interface Synthesized {
  app: App;
  stack: TopicWebhooksStack;
  template: CfnTemplate;
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
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as CfnTemplate;
  return { app, stack, template };
}

/** Resources of one type, by logical id. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
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

export const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Every statement of every AWS::IAM::Policy attached to a role (by the role's logical id). */
export function statementsOfRole(template: CfnTemplate, roleLogicalId: string): Statement[] {
  const statements: Statement[] = [];
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const roles = asList(policy.Properties?.Roles as unknown[]);
    if (!roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }))) continue;
    const document = policy.Properties?.PolicyDocument as { Statement: Statement[] };
    statements.push(...document.Statement);
  }
  return statements;
}
