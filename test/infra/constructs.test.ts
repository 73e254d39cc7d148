import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build.ts';
import { queueSendBinding, ServiceFunction, tableBinding } from '../../infra/constructs/service-function.ts';
import { CDK_JSON_CONTEXT, statementsOfRole } from './synth.ts';

/** The house function construct and its bind-and-grant helper, on their own. */
describe('ServiceFunction', () => {
  let template: Template;
  let stack: Stack;
  let fn: ServiceFunction;
  let table: Table;
  let queue: Queue;

  beforeAll(() => {
    const app = new App({ builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    stack = new Stack(app, 'ConstructTest');
    table = new Table(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    queue = new Queue(stack, 'Queue');
    fn = new ServiceFunction(stack, 'Health', {
      name: 'health',
      memorySizeMb: 192,
      timeoutSeconds: 7,
      architecture: 'x86_64',
      logRetentionDays: 14,
      environment: { CALLER: 'kept', POWERTOOLS_SERVICE_NAME: 'overridden' },
    });
    fn.bind(tableBinding(table, [])).bind(queueSendBinding(queue)).bind({ environment: { LATER: 'added', CALLER: 'replaced' } });
    template = Template.fromStack(stack);
  });

  it('lets props win over the defaults', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 192, Timeout: 7, Architectures: ['x86_64'], Runtime: 'nodejs22.x' });
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });

  it("merges the caller's environment over the base one, and each binding's over both", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'overridden',
          POWERTOOLS_METRICS_NAMESPACE: 'TopicWebhooks',
          NODE_OPTIONS: '--enable-source-maps',
          CALLER: 'replaced',
          LATER: 'added',
          TABLE_NAME: Match.objectEquals({ Ref: stack.getLogicalId(table.node.defaultChild as never) }),
          QUEUE_URL: Match.objectEquals({ Ref: stack.getLogicalId(queue.node.defaultChild as never) }),
        },
      },
    });
  });

  it('grants nothing for an empty table binding, only SendMessage for a queue binding', () => {
    const statements = statementsOfRole(template, stack.getLogicalId(fn.role.node.defaultChild as never));
    expect(statements.map((s) => s.Action)).toEqual([['logs:CreateLogStream', 'logs:PutLogEvents'], 'sqs:SendMessage']);
  });
});

describe('buildApp', () => {
  it('names the stack after -c stackName', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], stackName: 'Hooks-Staging' } });
    expect(buildApp(app).stackName).toBe('Hooks-Staging');
  });

  it('refuses a stack name CloudFormation would refuse', () => {
    const app = new App({ context: { stackName: '9 lives' } });
    expect(() => buildApp(app)).toThrow(/stackName/);
  });
});
