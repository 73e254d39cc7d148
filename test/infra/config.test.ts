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
  deliveryGroupSize: '5',
  deliveryPostConcurrency: '40',
  // 20 records × 5 webhooks, 40 POSTs at a time: 3 waves, 20 s with the margin, within delivery's 30 s.
  batchSize: '20',
  maxBatchingWindowSeconds: '2',
  deliveryMaxConcurrency: '5',
  throttlingRateLimit: '20',
  throttlingBurstLimit: '40',
  logRetentionDays: '90',
  deletionProtection: 'false',
  apiGatewayAccountHasRole: 'true',
  alarmEmail: 'ops@example.com',
  deliveryFailureRateThresholdPercent: '25',
  deliveryBacklogDepthThreshold: '500',
} as const;

/** Deliverable 4: configuration by CDK context (strings, as the CLI passes them) or stack props. */
describe('resolveSettings', () => {
  it('defaults to AWS with deletion protection, bounded delivery concurrency and no account-wide API Gateway role', () => {
    expect(resolveSettings({})).toEqual({ ...SERVICE_DEFAULTS, deletionProtection: true });
    expect(SERVICE_DEFAULTS).toMatchObject({
      target: 'aws',
      stageName: 'v1',
      architecture: 'arm64',
      maxMessageBytes: 131072,
      batchSize: 10,
      deliveryMaxConcurrency: 20,
      apiGatewayCloudWatchRole: false,
      apiGatewayAccountHasRole: false,
      alarmTopicArn: undefined,
      alarmEmail: undefined,
      deliveryBacklogDepthThreshold: 10_000,
    });
  });

  it('defaults LocalStack to a disposable table and no account-wide role', () => {
    expect(resolveSettings({ target: 'localstack' })).toMatchObject({
      target: 'localstack',
      deletionProtection: false,
      apiGatewayCloudWatchRole: false,
      apiGatewayAccountHasRole: false,
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
      deliveryGroupSize: 5,
      deliveryPostConcurrency: 40,
      batchSize: 20,
      maxBatchingWindowSeconds: 2,
      deliveryMaxConcurrency: 5,
      throttlingRateLimit: 20,
      throttlingBurstLimit: 40,
      logRetentionDays: 90,
      deletionProtection: false,
      apiGatewayCloudWatchRole: false,
      apiGatewayAccountHasRole: true,
      alarmEmail: 'ops@example.com',
      deliveryFailureRateThresholdPercent: 25,
      deliveryBacklogDepthThreshold: 500,
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
    [{ batchSize: '101', maxBatchingWindowSeconds: '1' }, /batchSize: .*100/],
    [{ maxBatchingWindowSeconds: '301' }, /maxBatchingWindowSeconds/],
    [{ deliveryMaxConcurrency: '1' }, /deliveryMaxConcurrency/],
    [{ deliveryMaxConcurrency: '1001' }, /deliveryMaxConcurrency/],
    [{ alarmEmail: 'ops' }, /alarmEmail: an e-mail address/],
    [{ alarmEmail: 'ops@' }, /alarmEmail/],
    [{ deliveryBacklogDepthThreshold: '0' }, /deliveryBacklogDepthThreshold/],
    [{ apiGatewayAccountHasRole: 'maybe' }, /apiGatewayAccountHasRole/],
    [{ target: 'localstack', apiGatewayAccountHasRole: 'true' }, /apiGatewayAccountHasRole is AWS-only/],
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
            DELIVERY_GROUP_SIZE: '5',
            DELIVERY_POST_CONCURRENCY: '40',
            DESTINATION_ALLOWLIST: '203.0.113.0/24,198.51.100.7/32',
          },
        },
        Architectures: ['x86_64'],
      });
    }
  });

  it('sets the batch settings and concurrency on the event source', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 20,
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

  it('keeps every log 90 days (API Gateway logging on: the account has its role), drops table protection and creates no account role', () => {
    s.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    expect(s.stack.api.accessLogGroup).toBeDefined();
    expect(s.stack.api.executionLogGroup).toBeDefined();
    s.template.templateMatches({
      Resources: { [logicalIdOf(s.stack, s.stack.table)]: { Properties: { DeletionProtectionEnabled: false }, DeletionPolicy: 'Delete' } },
    });
    s.template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('notifies the given alarm topic (no topic of its own), subscribes the e-mail address to it, and takes the thresholds', () => {
    expect(Object.keys(s.template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(20);
    const topic = 'arn:aws:sns:us-east-1:123456789012:alarms';
    s.template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topic], OKActions: [topic] });
    s.template.resourceCountIs('AWS::SNS::Topic', 0);
    s.template.resourceCountIs('AWS::SNS::Subscription', 1);
    s.template.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: topic, Protocol: 'email', Endpoint: 'ops@example.com' });
    s.template.hasOutput('AlarmTopicArn', { Value: topic });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 500 });
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
