import { App, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import cdkNag from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build.ts';
import { ACCEPTED_FINDINGS } from '../../infra/nag.ts';
import { CDK_JSON_CONTEXT, synthesize } from './synth.ts';

/** cdk-nag's AwsSolutions pack: no finding left that is neither fixed nor accepted with its reason. */
const WAF_ACL = 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/topic-webhooks/0b3e7f2c-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
const ALARM_TOPIC = 'arn:aws:sns:us-east-1:123456789012:topic-webhooks-alarms';

/** Every acknowledged rule in the tree: id (as cdk-nag matches it) → reasons given. */
function acknowledgements(root: IConstruct): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const rule = id.replace(/^annotation::/i, '');
        found.set(rule, [...(found.get(rule) ?? []), reason]);
      }
    }
  }
  return found;
}

const ALWAYS = ['AwsSolutions-L1', 'AwsSolutions-APIG2', 'AwsSolutions-APIG4', 'AwsSolutions-COG4'];
/** Without the account's logging role the stage logs nothing (APIG1, APIG6). */
const NO_API_LOGS = ['AwsSolutions-APIG1', 'AwsSolutions-APIG6'];
const CASES: [string, Record<string, string>, string[]][] = [
  ['AWS (defaults)', { target: 'aws' }, [...ALWAYS, 'AwsSolutions-APIG3', ...NO_API_LOGS, 'AwsSolutions-SNS2']],
  [
    'AWS creating the account-wide API Gateway role',
    { target: 'aws', apiGatewayCloudWatchRole: 'true' },
    [
      ...ALWAYS,
      'AwsSolutions-APIG3',
      'AwsSolutions-SNS2',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    ],
  ],
  [
    'AWS with a web ACL, an alarm topic of its own and an account that has the role',
    { target: 'aws', webAclArn: WAF_ACL, alarmTopicArn: ALARM_TOPIC, apiGatewayAccountHasRole: 'true' },
    ALWAYS,
  ],
  ['LocalStack', { target: 'localstack' }, [...ALWAYS, 'AwsSolutions-APIG3', ...NO_API_LOGS, 'AwsSolutions-SNS2']],
];

it('uses every accepted finding in some configuration', () => {
  expect([...new Set(CASES.flatMap(([, , accepted]) => accepted))].sort()).toEqual(Object.keys(ACCEPTED_FINDINGS).sort());
});

describe.each(CASES)('%s', (_name, context, expectedAccepted) => {
  // Synthesis itself runs the pack (infra/build.ts registers it) and throws on a finding.
  const { app } = synthesize(context);

  it('has no unaccepted AwsSolutions finding', () => {
    const report = new cdkNag.AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(', ')}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('accepts only the reviewed findings, each with its reason', () => {
    const accepted = acknowledgements(app);
    expect([...accepted.keys()].sort()).toEqual([...expectedAccepted].sort());
    for (const [rule, reasons] of accepted) {
      for (const reason of reasons) {
        expect(reason, rule).toBe(ACCEPTED_FINDINGS[rule as keyof typeof ACCEPTED_FINDINGS]);
        expect(reason.length, rule).toBeGreaterThan(40);
      }
    }
  });
});

describe('the check is live', () => {
  it('fails synthesis when a resource breaks a rule nobody accepted', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const stack = buildApp(app);
    // A queue with neither a dead-letter queue nor TLS enforcement: AwsSolutions-SQS3 and SQS4.
    new Queue(stack, 'CarelessQueue');
    let failure: unknown;
    try {
      app.synth();
    } catch (err) {
      failure = err;
    }
    const message = String(failure);
    expect(message).toMatch(/^ValidationFailed/);
    expect(message).toContain('AwsSolutions-SQS3');
    expect(message).toContain('AwsSolutions-SQS4');
    expect(message).toContain('TopicWebhooks/CarelessQueue/Resource');
  });
});
