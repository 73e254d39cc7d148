import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_FUNCTION, HTTP_FUNCTIONS } from '#functions/routes.ts';
import { METRICS_NAMESPACE } from '#shared/service-name.ts';
import { postWavesSeconds, resolveSettings } from '../../infra/config.ts';
import { API_5XX_MIN_REQUESTS } from '../../infra/constructs/monitoring.ts';
import { deliveryVisibilityTimeoutSeconds } from '../../infra/stack.ts';
import { logicalIdOf, synthesize, type Synthesized } from './synth.ts';

/**
 * The "Operations" list of docs/design.md#deployment-targets: alarms that reach someone, stacks
 * that do not mix in one account, API Gateway's account-wide role only on request (with logs
 * that have a retention), and delivery bounded by default.
 */
const ALL_FUNCTIONS = [...HTTP_FUNCTIONS, DELIVERY_FUNCTION] as const;
/** Alarms besides each function's Errors and Throttles. */
const SERVICE_ALARMS = 8;

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string };
const resourcesOf = (s: Synthesized, type: string) =>
  Object.entries(s.template.toJSON().Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
const alarmsOf = (s: Synthesized) => resourcesOf(s, 'AWS::CloudWatch::Alarm').map(([id, r]) => [id, r.Properties ?? {}] as const);

let aws: Synthesized;
beforeAll(() => {
  aws = synthesize();
});

describe('alarms that reach someone', () => {
  const topicRef = () => ({ Ref: logicalIdOf(aws.stack, aws.stack.monitoring.createdAlarmTopic!) });

  it('creates an SNS topic that requires TLS, without KMS, that only CloudWatch alarms of this account may publish to', () => {
    aws.template.resourceCountIs('AWS::SNS::Topic', 1);
    aws.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.absent() });
    aws.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef()],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topicRef(),
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: Match.anyValue() },
          }),
        ]),
      },
    });
  });

  it('points the alarm action and the OK action of every alarm at that topic', () => {
    const alarms = alarmsOf(aws);
    expect(alarms.length).toBe(SERVICE_ALARMS + 2 * ALL_FUNCTIONS.length);
    for (const [id, alarm] of alarms) {
      expect(alarm.AlarmActions, id).toEqual([topicRef()]);
      expect(alarm.OKActions, id).toEqual([topicRef()]);
      expect(alarm.ActionsEnabled ?? true, id).toBe(true);
    }
  });

  it('lets CloudFormation name the alarms (so the names carry the stack name)', () => {
    for (const [id, alarm] of alarmsOf(aws)) expect(alarm.AlarmName, id).toBeUndefined();
  });

  it('subscribes no one unless alarmEmail is given; then that address, by e-mail', () => {
    aws.template.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = synthesize({ alarmEmail: 'oncall@example.com' });
    withEmail.template.resourceCountIs('AWS::SNS::Subscription', 1);
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: logicalIdOf(withEmail.stack, withEmail.stack.monitoring.createdAlarmTopic!) },
    });
  });

  it('uses a given topic instead of creating one', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:ops';
    const given = synthesize({ alarmTopicArn: topic });
    given.template.resourceCountIs('AWS::SNS::Topic', 0);
    given.template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    expect(given.stack.monitoring.createdAlarmTopic).toBeUndefined();
    for (const [id, alarm] of alarmsOf(given)) {
      expect(alarm.AlarmActions, id).toEqual([topic]);
      expect(alarm.OKActions, id).toEqual([topic]);
    }
    given.template.hasOutput('AlarmTopicArn', { Value: topic });
  });

  it('outputs the topic and the region', () => {
    aws.template.hasOutput('AlarmTopicArn', { Value: Match.exact(topicRef()) });
    aws.template.hasOutput('Region', { Value: Match.exact({ Ref: 'AWS::Region' }) });
  });
});

describe('the alarms', () => {
  const service = () => [{ Name: 'service', Value: aws.stack.stackName }];
  /** The one single-metric alarm on this metric. */
  const alarmOn = (namespace: string, metricName: string) => {
    const found = alarmsOf(aws).filter(([, a]) => a.Namespace === namespace && a.MetricName === metricName);
    expect(found.map(([id]) => id), metricName).toHaveLength(1);
    return found[0]![1];
  };

  it('alarm on publishes the queue refused: PublishQueueFailures ≥ 1 over 5 minutes', () => {
    expect(alarmOn(METRICS_NAMESPACE, 'PublishQueueFailures')).toMatchObject({
      Dimensions: service(),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarm on persistent retryable delivery failures: DeliveryRetryableFailure ≥ 1 in 3 of 3 five-minute periods', () => {
    expect(alarmOn(METRICS_NAMESPACE, 'DeliveryRetryableFailure')).toMatchObject({
      Dimensions: service(),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarm on outcomes not recorded: OutcomesNotRecorded ≥ 1', () => {
    expect(alarmOn(METRICS_NAMESPACE, 'OutcomesNotRecorded')).toMatchObject({
      Dimensions: service(),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarm on the backlog depth (≥ 10000 visible messages, 3 of 5 minutes) beside the age of the oldest message', () => {
    const queueName = { 'Fn::GetAtt': [logicalIdOf(aws.stack, aws.stack.queue), 'QueueName'] };
    const sqsAlarms = alarmsOf(aws).filter(([, a]) => a.Namespace === 'AWS/SQS' && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: queueName }]));
    const byMetric = new Map(sqsAlarms.map(([, a]) => [a.MetricName as string, a]));
    expect([...byMetric.keys()].sort()).toEqual(['ApproximateAgeOfOldestMessage', 'ApproximateNumberOfMessagesVisible']);
    expect(byMetric.get('ApproximateNumberOfMessagesVisible')).toMatchObject({
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 10_000,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(byMetric.get('ApproximateAgeOfOldestMessage')).toMatchObject({ Threshold: 300, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
    const custom = synthesize({ deliveryBacklogDepthThreshold: '2500' });
    custom.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 2500 });
  });

  it("alarm on the API's 5XX rate: 5XXError / Count of the stage as a percentage over 5 minutes, ≥ 1 % with a minimum of requests", () => {
    const withMetric = (metricName: string) => Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: metricName }) }) });
    const rate = aws.template.getResourceId('AWS::CloudWatch::Alarm', { Properties: { Metrics: Match.arrayWith([withMetric('5XXError')]) } });
    const alarm = aws.template.toJSON().Resources[rate].Properties as { Metrics: Record<string, unknown>[] } & Record<string, unknown>;
    expect(alarm).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const stage = aws.template.getResourceId('AWS::ApiGateway::Stage');
    const apiDimensions = [
      { Name: 'ApiName', Value: aws.stack.stackName },
      { Name: 'Stage', Value: { Ref: stage } },
    ];
    const byId = new Map(alarm.Metrics.map((m) => [m.Id as string, m]));
    for (const [id, metricName] of [['errors', '5XXError'], ['requests', 'Count']] as const) {
      expect(byId.get(id), id).toEqual({
        Id: id,
        ReturnData: false,
        MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: metricName, Dimensions: apiDimensions }, Period: 300, Stat: 'Sum' },
      });
    }
    const expression = [...byId.values()].find((m) => m.Expression)!.Expression as string;
    expect(expression).toBe(`IF(FILL(requests, 0) >= ${API_5XX_MIN_REQUESTS}, 100 * FILL(errors, 0) / FILL(requests, 0), 0)`);
  });

  it('keeps the dead-letter, failure-rate, error and throttle alarms', () => {
    const names = alarmsOf(aws).map(([, a]) => a.MetricName ?? 'expression');
    expect(names.filter((n) => n === 'Errors')).toHaveLength(ALL_FUNCTIONS.length);
    expect(names.filter((n) => n === 'Throttles')).toHaveLength(ALL_FUNCTIONS.length);
    aws.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'DeliveryFailed' }) }) })]),
    });
  });
});

describe('several stacks in one account do not mix', () => {
  let a: Synthesized;
  let b: Synthesized;
  beforeAll(() => {
    a = synthesize({ stackName: 'Hooks-A' });
    b = synthesize({ stackName: 'Hooks-B' });
  });

  /** Every value of a `service` dimension in the alarms (single-metric and math) and in the dashboard body. */
  function serviceDimensions(s: Synthesized): Set<string> {
    const values = new Set<string>();
    for (const [, alarm] of alarmsOf(s)) {
      const dimensionLists = [alarm.Dimensions, ...((alarm.Metrics as { MetricStat?: { Metric: { Dimensions?: unknown } } }[] | undefined) ?? []).map((m) => m.MetricStat?.Metric.Dimensions)];
      for (const list of dimensionLists) {
        for (const d of (list as { Name: string; Value: unknown }[] | undefined) ?? []) if (d.Name === 'service') values.add(String(d.Value));
      }
    }
    const body = JSON.stringify(resourcesOf(s, 'AWS::CloudWatch::Dashboard')[0]![1].Properties!.DashboardBody);
    for (const match of body.matchAll(/\\"service\\",\\"([^"\\]+)\\"/g)) values.add(match[1]!);
    return values;
  }

  it('gives every alarm and the dashboard the service dimension of its own stack, in the one namespace', () => {
    expect(serviceDimensions(a)).toEqual(new Set(['Hooks-A']));
    expect(serviceDimensions(b)).toEqual(new Set(['Hooks-B']));
    // The dashboard's own graphs carry the dimension too (not only its alarm widget).
    expect(JSON.stringify(resourcesOf(a, 'AWS::CloudWatch::Dashboard')[0]![1].Properties!.DashboardBody)).toContain('\\"service\\",\\"Hooks-A\\"');
    const namespaces = new Set(alarmsOf(a).flatMap(([, alarm]) => [alarm.Namespace, ...((alarm.Metrics as { MetricStat?: { Metric: { Namespace: string } } }[] | undefined) ?? []).map((m) => m.MetricStat?.Metric.Namespace)]));
    expect([...namespaces].filter((n) => n && !String(n).startsWith('AWS/'))).toEqual([METRICS_NAMESPACE]);
  });

  it("tells every function its stack's name (POWERTOOLS_SERVICE_NAME: the dimension the code emits)", () => {
    for (const [s, name] of [[a, 'Hooks-A'], [b, 'Hooks-B']] as const) {
      const functions = resourcesOf(s, 'AWS::Lambda::Function');
      expect(functions).toHaveLength(ALL_FUNCTIONS.length);
      for (const [id, fn] of functions) {
        expect((fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_SERVICE_NAME, id).toBe(name);
      }
    }
  });

  it('names each REST API after its stack, so the API metrics (ApiName) do not mix either', () => {
    a.template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'Hooks-A' });
    b.template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'Hooks-B' });
  });
});

describe("API Gateway's account-wide role and the logs that need it", () => {
  let created: Synthesized;
  let existing: Synthesized;
  beforeAll(() => {
    created = synthesize({ apiGatewayCloudWatchRole: 'true' });
    existing = synthesize({ apiGatewayAccountHasRole: 'true' });
  });
  const stageOf = (s: Synthesized) => resourcesOf(s, 'AWS::ApiGateway::Stage')[0]!;

  it('creates no AWS::ApiGateway::Account by default, and exactly one with -c apiGatewayCloudWatchRole=true', () => {
    aws.template.resourceCountIs('AWS::ApiGateway::Account', 0);
    created.template.resourceCountIs('AWS::ApiGateway::Account', 1);
    existing.template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('turns execution and access logging off without the role (they would fail the deployment)', () => {
    const [, stage] = stageOf(aws);
    expect(stage.Properties!.AccessLogSetting).toBeUndefined();
    expect(stage.Properties!.MethodSettings).toEqual([expect.objectContaining({ LoggingLevel: 'OFF', DataTraceEnabled: false })]);
    aws.template.resourceCountIs('AWS::Logs::LogGroup', ALL_FUNCTIONS.length);
  });

  it.each([
    ['created by this stack', () => created],
    ['already in the account', () => existing],
  ])('with the role %s: execution logs at ERROR, access logs, and the execution log group of the stage', (_case, get) => {
    const s = get();
    const [, stage] = stageOf(s);
    expect(stage.Properties!.MethodSettings).toEqual([expect.objectContaining({ LoggingLevel: 'ERROR', DataTraceEnabled: false })]);
    expect(stage.Properties!.AccessLogSetting).toBeDefined();
    const restApi = logicalIdOf(s.stack, s.stack.api.restApi);
    const executionLogs = logicalIdOf(s.stack, s.stack.api.executionLogGroup!);
    s.template.templateMatches({
      Resources: {
        [executionLogs]: {
          Type: 'AWS::Logs::LogGroup',
          Properties: {
            LogGroupName: Match.exact({ 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: restApi }, '/v1']] }),
            RetentionInDays: 30,
          },
          DeletionPolicy: 'Delete',
          UpdateReplacePolicy: 'Delete',
        },
      },
    });
    // The group exists before the stage can log, so API Gateway never makes it first (without retention).
    expect(stage.DependsOn).toEqual(expect.arrayContaining([executionLogs]));
    s.template.resourceCountIs('AWS::Logs::LogGroup', ALL_FUNCTIONS.length + 2);
  });

  it('gives every log group a retention and deletes it with the stack, whatever the logging', () => {
    for (const s of [aws, created, existing, synthesize({ target: 'localstack' })]) {
      const groups = resourcesOf(s, 'AWS::Logs::LogGroup');
      expect(groups.length).toBeGreaterThanOrEqual(ALL_FUNCTIONS.length);
      for (const [id, group] of groups) {
        expect(group.Properties!.RetentionInDays, id).toBe(30);
        expect(group.DeletionPolicy, id).toBe('Delete');
      }
    }
  });

  it('refuses both switches on LocalStack, which has no such role', () => {
    expect(() => resolveSettings({ target: 'localstack', apiGatewayCloudWatchRole: 'true' })).toThrow(/apiGatewayCloudWatchRole is AWS-only/);
    expect(() => resolveSettings({ target: 'localstack', apiGatewayAccountHasRole: 'true' })).toThrow(/apiGatewayAccountHasRole is AWS-only/);
  });
});

describe('delivery bounded by default', () => {
  const mappingOf = (s: Synthesized) => resourcesOf(s, 'AWS::Lambda::EventSourceMapping')[0]![1].Properties!;
  const visibilityOf = (s: Synthesized) => (resourcesOf(s, 'AWS::SQS::Queue').find(([id]) => id === logicalIdOf(s.stack, s.stack.queue))![1].Properties!.VisibilityTimeout);

  it('caps concurrent delivery invocations at 20 unless deliveryMaxConcurrency says otherwise (2–1000)', () => {
    expect(mappingOf(aws).ScalingConfig).toEqual({ MaximumConcurrency: 20 });
    expect(mappingOf(synthesize({ deliveryMaxConcurrency: '1000' })).ScalingConfig).toEqual({ MaximumConcurrency: 1000 });
    expect(() => resolveSettings({ deliveryMaxConcurrency: '1001' })).toThrow(/deliveryMaxConcurrency/);
  });

  it('sets the visibility timeout to six delivery timeouts plus the batching window', () => {
    expect(visibilityOf(aws)).toBe(6 * 30);
    const batched = synthesize({ batchSize: '100', maxBatchingWindowSeconds: '300', deliveryGroupSize: '1' });
    expect(mappingOf(batched)).toMatchObject({ BatchSize: 100, MaximumBatchingWindowInSeconds: 300 });
    expect(visibilityOf(batched)).toBe(6 * 30 + 300);
    expect(deliveryVisibilityTimeoutSeconds({ maxBatchingWindowSeconds: 20 })).toBe(200);
  });

  it('refuses a batch above 100 records and a batching window above 300 s', () => {
    expect(() => resolveSettings({ batchSize: '101', maxBatchingWindowSeconds: '5' })).toThrow(/batchSize: .*100/);
    expect(() => resolveSettings({ batchSize: '10000', maxBatchingWindowSeconds: '5' })).toThrow(/batchSize/);
    expect(() => resolveSettings({ maxBatchingWindowSeconds: '301' })).toThrow(/maxBatchingWindowSeconds/);
  });

  it("accepts POST waves that end within the delivery function's 30 s timeout, up to the limit", () => {
    // 10 × 10 / 50: 2 waves, 15 s (the defaults); 25 × 10 / 50: 5 waves, exactly 30 s.
    expect(postWavesSeconds(resolveSettings({}))).toEqual({ waves: 2, seconds: 15, timeoutSeconds: 30 });
    const atLimit = resolveSettings({ batchSize: '25', maxBatchingWindowSeconds: '1' });
    expect(postWavesSeconds(atLimit)).toEqual({ waves: 5, seconds: 30, timeoutSeconds: 30 });
  });

  it.each([
    [{ batchSize: '26', maxBatchingWindowSeconds: '1' }, '(26 × 10 / 50) gives 6 waves', '35 s'],
    [{ deliveryGroupSize: '100' }, '(10 × 100 / 50) gives 20 waves', '105 s'],
    [{ deliveryPostConcurrency: '10' }, '(10 × 10 / 10) gives 10 waves', '55 s'],
  ])('refuses %j at synth, naming the three settings', (context, waves, seconds) => {
    let message = '';
    try {
      synthesize(context);
    } catch (err) {
      message = String(err);
    }
    expect(message).toContain('invalid stack configuration');
    for (const key of ['batchSize', 'deliveryGroupSize', 'deliveryPostConcurrency']) expect(message).toContain(key);
    expect(message).toContain(waves);
    expect(message).toContain(seconds);
    expect(message).toContain("delivery function's 30 s timeout");
  });

  it('keeps the dead-letter queue and its retention', () => {
    const queue = resourcesOf(aws, 'AWS::SQS::Queue').find(([id]) => id === logicalIdOf(aws.stack, aws.stack.queue))![1];
    expect(queue.Properties!.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
    const dlq = resourcesOf(aws, 'AWS::SQS::Queue').find(([id]) => id === logicalIdOf(aws.stack, aws.stack.deadLetterQueue))![1];
    expect(dlq.Properties!.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });
});
