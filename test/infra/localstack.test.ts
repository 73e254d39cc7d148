import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/project-root.ts';
import { logicalIdOf, synthesize, type Synthesized } from './synth.ts';

/** Deliverable 2: `-c target=localstack` yields a template LocalStack's free image (4.14.0) deploys. */
interface SupportedList {
  image: string;
  source: { repository: string; paths: string; scope: string; caveat: string };
  resourceTypes: string[];
}

const supported = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'infra', 'localstack-supported-resources.json'), 'utf8'),
) as SupportedList;

const isForbidden = (type: string) =>
  type.startsWith('AWS::ApiGatewayV2::') || type === 'Custom::LogRetention' || type === 'AWS::ApiGateway::Authorizer';

let localstack: Synthesized;
let localstackWithEmail: Synthesized;
let aws: Synthesized;

beforeAll(() => {
  localstack = synthesize({ target: 'localstack' });
  localstackWithEmail = synthesize({ target: 'localstack', alarmEmail: 'ops@example.com' });
  aws = synthesize({ target: 'aws' });
});

/** The type of every resource of a template (the assertions library counts one given type at a time). */
const typesOf = (s: Synthesized) => Object.values(s.template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);

const typeCounts = (s: Synthesized) => {
  const counts: Record<string, number> = {};
  for (const type of typesOf(s)) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
};

describe('the supported-resource list', () => {
  it('is for the pinned free image and says where it comes from', () => {
    expect(supported.image).toBe('localstack/localstack:4.14.0');
    expect(supported.source.repository).toBe('https://github.com/localstack/localstack');
    expect(supported.source.paths).toMatch(/resource_providers/);
  });

  it('is a sorted list of distinct CloudFormation types without the ones the free image lacks', () => {
    const types = supported.resourceTypes;
    expect(types.length).toBeGreaterThan(10);
    expect(new Set(types).size).toBe(types.length);
    expect([...types].sort()).toEqual(types);
    for (const type of types) expect(type).toMatch(/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/);
    expect(types.filter(isForbidden)).toEqual([]);
    expect(types).not.toContain('AWS::CloudWatch::Dashboard');
  });

  it('has SNS (the alarm topic, its policy and e-mail subscriptions) and says so in its scope', () => {
    expect(supported.resourceTypes).toEqual(expect.arrayContaining(['AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'AWS::SNS::Subscription']));
    expect(supported.source.scope).toMatch(/SNS/);
    expect(supported.source.scope).toMatch(/services\/sns\/resource_providers/);
  });
});

describe('the LocalStack template', () => {
  it('uses only resource types the free image supports, with an alarm e-mail too', () => {
    for (const s of [localstack, localstackWithEmail]) {
      const unsupported = [...new Set(typesOf(s))].filter((type) => !supported.resourceTypes.includes(type));
      expect(unsupported).toEqual([]);
    }
    localstackWithEmail.template.resourceCountIs('AWS::SNS::Subscription', 1);
  });

  it('keeps the alarm topic and every alarm notifying it (only the dashboard is AWS-only monitoring)', () => {
    localstack.template.resourceCountIs('AWS::SNS::Topic', 1);
    const topic = { Ref: logicalIdOf(localstack.stack, localstack.stack.monitoring.createdAlarmTopic!) };
    localstack.template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topic], OKActions: [topic] });
  });

  it('has no HTTP API v2, no log-retention custom resource, no authorizer, no custom resource at all', () => {
    const types = typesOf(localstack);
    expect(types.filter(isForbidden)).toEqual([]);
    expect(types.filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource')).toEqual([]);
  });

  it('leaves out the dashboard, and nothing else (AWS has no account-wide API Gateway role by default either)', () => {
    localstack.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    localstack.template.resourceCountIs('AWS::ApiGateway::Account', 0);
    aws.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    aws.template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(typeCounts(localstack)).toEqual(Object.fromEntries(Object.entries(typeCounts(aws)).filter(([t]) => t !== 'AWS::CloudWatch::Dashboard')));
    // Without the account's role API Gateway cannot log: the stage logs nothing, and needs no log group first.
    localstack.template.resourceCountIs('AWS::ApiGateway::Stage', 1);
    localstack.template.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.absent() });
    localstack.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ LoggingLevel: 'OFF' })],
      AccessLogSetting: Match.absent(),
    });
  });

  it('answers unknown routes 404 through the same gateway responses', () => {
    localstack.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
    });
  });

  it('makes a disposable table: no deletion protection, deleted with the stack', () => {
    const awsTable = aws.template.toJSON().Resources[logicalIdOf(aws.stack, aws.stack.table)];
    expect(awsTable.Properties.DeletionProtectionEnabled).toBe(true);
    localstack.template.templateMatches({
      Resources: {
        [logicalIdOf(localstack.stack, localstack.stack.table)]: {
          DeletionPolicy: 'Delete',
          // Everything else about the table is what AWS gets.
          Properties: Match.objectEquals({ ...awsTable.Properties, DeletionProtectionEnabled: false }),
        },
      },
    });
  });

  it('has the same outputs (the e2e suite builds the URL from RestApiId and StageName)', () => {
    expect(Object.keys(localstack.template.findOutputs('*')).sort()).toEqual(
      ['AlarmTopicArn', 'ApiUrl', 'DlqUrl', 'QueueUrl', 'Region', 'RestApiId', 'StageName', 'TableName'],
    );
  });
});
