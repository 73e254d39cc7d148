import { beforeAll, describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Capture, Match } from 'aws-cdk-lib/assertions';
import { DELIVERY_FUNCTION, HTTP_FUNCTIONS } from '#functions/routes.ts';
import { resolveSettings } from '../../infra/config.ts';
import { SERVICE_DEFAULTS } from '../../infra/defaults.ts';
import { TopicWebhooksStack } from '../../infra/stack.ts';
import { CDK_JSON_CONTEXT, logicalIdOf, synthesize, type Synthesized } from './synth.ts';

/** Every setting away from its default, as CLI context strings (`-c key=value`). */
const PROD_CONTEXT = {
  stageName: 'prod',
  architecture: 'x86_64',
  maxMessageBytes: '65536',
  maxWebhooksPerCache: '25',
  userAgent: 'Hooks/2.0',
  deliveryRecordTtlDays: '3',
  publishSendConcurrency: '4',
  batchSize: '50',
  maxBatchingWindowSeconds: '2',
  deliveryMaxConcurrency: '5',
  throttlingRateLimit: '20',
  throttlingBurstLimit: '40',
  logRetentionDays: '90',
  deletionProtection: 'false',
  deliveryFailureRateThresholdPercent: '25',
} as const;

/** Deliverable 4: configuration by CDK context (strings, as the CLI passes them) or stack props. */
describe('resolveSettings', () => {
  it('defaults to AWS with deletion protection and the API Gateway logging role', () => {
    expect(resolveSettings({})).toEqual({ ...SERVICE_DEFAULTS, deletionProtection: true, apiGatewayCloudWatchRole: true });
    expect(SERVICE_DEFAULTS).toMatchObject({ target: 'aws', stageName: 'v1', architecture: 'arm64', maxMessageBytes: 131072, batchSize: 10 });
  });

  it('defaults LocalStack to a disposable table and no account-wide role', () => {
    expect(resolveSettings({ target: 'localstack' })).toMatchObject({
      target: 'localstack',
      deletionProtection: false,
      apiGatewayCloudWatchRole: false,
    });
  });

  it('parses CLI context strings', () => {
    const settings = resolveSettings({ ...PROD_CONTEXT, destinationAllowlist: '203.0.113.0/24, 2001:db8::/32' });
    expect(settings).toEqual({
      ...SERVICE_DEFAULTS,
      stageName: 'prod',
      architecture: 'x86_64',
      destinationAllowlist: ['203.0.113.0/24', '2001:db8::/32'],
      maxMessageBytes: 65536,
      maxWebhooksPerCache: 25,
      userAgent: 'Hooks/2.0',
      deliveryRecordTtlDays: 3,
      publishSendConcurrency: 4,
      batchSize: 50,
      maxBatchingWindowSeconds: 2,
      deliveryMaxConcurrency: 5,
      throttlingRateLimit: 20,
      throttlingBurstLimit: 40,
      logRetentionDays: 90,
      deletionProtection: false,
      apiGatewayCloudWatchRole: true,
      deliveryFailureRateThresholdPercent: 25,
    });
  });

  it('takes typed values from cdk.json and lets stack props win over context', () => {
    expect(resolveSettings({ destinationAllowlist: ['198.51.100.7/32'], deletionProtection: false }, { deletionProtection: true })).toMatchObject({
      destinationAllowlist: ['198.51.100.7/32'],
      deletionProtection: true,
    });
    expect(resolveSettings({ stageName: 'ctx' }, { stageName: 'props' }).stageName).toBe('props');
  });

  it.each([
    [{ target: 'gcp' }, /target/],
    [{ stageName: 'has space' }, /stageName/],
    [{ architecture: 'arm' }, /architecture/],
    [{ destinationAllowlist: '10.0.0.0/33' }, /destinationAllowlist/],
    [{ maxMessageBytes: '200000' }, /maxMessageBytes/],
    [{ maxMessageBytes: 'lots' }, /maxMessageBytes/],
    [{ batchSize: '0' }, /batchSize/],
    [{ batchSize: '11' }, /batchSize above 10 needs maxBatchingWindowSeconds/],
    [{ deliveryMaxConcurrency: '1' }, /deliveryMaxConcurrency/],
    [{ logRetentionDays: '31' }, /logRetentionDays/],
    [{ deletionProtection: 'yes' }, /deletionProtection/],
    [{ alarmTopicArn: 'my-topic' }, /alarmTopicArn/],
    [{ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/y' }, /webAclArn/],
    [{ target: 'localstack', apiGatewayCloudWatchRole: 'true' }, /apiGatewayCloudWatchRole is AWS-only/],
  ])('refuses %j', (context, message) => {
    expect(() => resolveSettings(context)).toThrow(message);
  });

  it('names every bad key at once', () => {
    expect(() => resolveSettings({ batchSize: '0', logRetentionDays: '2' })).toThrow(/batchSize.*logRetentionDays/);
  });
});

describe('a stack synthesized with non-default context', () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synthesize({
      ...PROD_CONTEXT,
      destinationAllowlist: '203.0.113.0/24,198.51.100.7/32',
      apiGatewayCloudWatchRole: 'false',
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms',
      webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/hooks/0b3e7f2c',
    });
  });

  it('puts the limits, user-agent and allowlist in every function environment', () => {
    for (const name of [...HTTP_FUNCTIONS, DELIVERY_FUNCTION]) {
      s.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: `topic-webhooks ${name}`,
        Environment: {
          Variables: {
            MAX_MESSAGE_BYTES: '65536',
            MAX_WEBHOOKS_PER_CACHE: '25',
            DELIVERY_USER_AGENT: 'Hooks/2.0',
            DELIVERY_RECORD_TTL_DAYS: '3',
            PUBLISH_SEND_CONCURRENCY: '4',
            DESTINATION_ALLOWLIST: '203.0.113.0/24,198.51.100.7/32',
          },
        },
        Architectures: ['x86_64'],
      });
    }
  });

  it('sets the batch settings and concurrency on the event source', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('names the stage, throttles it, and associates the web ACL with it', () => {
    const stageId = s.template.getResourceId('AWS::ApiGateway::Stage', {
      Properties: { StageName: 'prod', MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })] },
    });
    const apiUrl = new Capture();
    s.template.hasOutput('ApiUrl', { Value: apiUrl });
    expect(JSON.stringify(apiUrl.asObject())).toContain('"/prod"');
    const associated = new Capture();
    s.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/hooks/0b3e7f2c',
      ResourceArn: associated,
    });
    expect(JSON.stringify(associated.asObject())).toContain(stageId);
  });

  it('keeps logs 90 days, drops table protection and the account role, and notifies the alarm topic', () => {
    s.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    s.template.templateMatches({
      Resources: { [logicalIdOf(s.stack, s.stack.table)]: { Properties: { DeletionProtectionEnabled: false }, DeletionPolicy: 'Delete' } },
    });
    s.template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(Object.keys(s.template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(20);
    s.template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:us-east-1:123456789012:alarms'] });
    const rate = s.template.getResourceId('AWS::CloudWatch::Alarm', {
      Properties: { Metrics: Match.arrayWith([Match.objectLike({ MetricStat: { Metric: { MetricName: 'DeliveryFailed' } } })]) },
    });
    s.template.templateMatches({ Resources: { [rate]: { Properties: { Threshold: 25 } } } });
  });

  it('takes settings as stack props too', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], stageName: 'ctx' } });
    const stack = new TopicWebhooksStack(app, 'Props', { settings: { stageName: 'fromprops', maxWebhooksPerCache: 7 } });
    expect(stack.settings).toMatchObject({ stageName: 'fromprops', maxWebhooksPerCache: 7, target: 'aws' });
  });
});
