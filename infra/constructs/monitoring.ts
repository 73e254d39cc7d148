import { Aws, Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '#shared/service-name.ts';
import type { ServiceFunction } from './service-function.ts';

/**
 * The custom metrics the alarms and the dashboard read: namespace and names. Their one
 * dimension, `service`, is the stack's name ({@link serviceDimensionsOf}): the stack sets
 * `POWERTOOLS_SERVICE_NAME` to it, and Powertools adds it to every metric.
 */
export const SERVICE_METRICS = {
  namespace: METRICS_NAMESPACE,
  /** Emitted by delivery (shared/delivery/observe.ts). */
  succeeded: 'DeliverySucceeded',
  failed: 'DeliveryFailed',
  latency: 'DeliveryLatency',
  retryableFailure: 'DeliveryRetryableFailure',
  outcomesNotRecorded: 'OutcomesNotRecorded',
  /** Emitted by publish (functions/publish-message.ts) when the queue did not take a publish. */
  publishQueueFailures: 'PublishQueueFailures',
} as const;

/** The `service` dimension of this stack's metrics: the stack's name, so two stacks in one account never mix. */
export const serviceDimensionsOf = (scope: Construct): { service: string } => ({ service: Stack.of(scope).stackName });

/** The API 5XX-rate alarm: at least this percentage of requests answered 5xx in 5 minutes... */
export const API_5XX_RATE_THRESHOLD_PERCENT = 1;
/** ...counted only over 5 minutes with at least this many requests (one 500 among three requests is no rate). */
export const API_5XX_MIN_REQUESTS = 20;

export interface MonitoringProps {
  readonly functions: readonly ServiceFunction[];
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly restApi: RestApi;
  /** Failed deliveries, in percent of attempted ones, that raise the failure-rate alarm. */
  readonly failureRateThresholdPercent: number;
  /** Messages waiting in the delivery queue that raise the backlog-depth alarm. */
  readonly backlogDepthThreshold: number;
  /** Build the dashboard (LocalStack's free image has no dashboards). */
  readonly dashboard: boolean;
  /** An existing SNS topic every alarm notifies; without it the construct creates one. */
  readonly alarmTopicArn?: string;
  /** An e-mail address subscribed to the alarm topic. */
  readonly alarmEmail?: string;
}

interface AlarmOptions {
  threshold: number;
  description: string;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
}

/**
 * Alarms on what an operator must act on, every one notifying an SNS topic (alarm and OK):
 * messages in the dead-letter queue, a delivery backlog (age and depth), a high delivery failure
 * rate, persistent retryable failures, outcomes not recorded, publishes the queue refused, the
 * API's 5xx rate, and any function's errors or throttles. A dashboard with the same signals and
 * the API's traffic, where the target has dashboards. Alarm names are CloudFormation's, so they
 * carry the stack's name.
 */
export class Monitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard | undefined;
  /** The topic every alarm notifies. */
  readonly alarmTopic: ITopic;
  /** The topic this construct created (none when `alarmTopicArn` was given). */
  readonly createdAlarmTopic: Topic | undefined;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    if (props.alarmTopicArn) {
      this.alarmTopic = Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    } else {
      // No KMS key: CloudWatch cannot publish to a topic under the AWS-managed SNS key (infra/nag.ts, AwsSolutions-SNS2).
      // The e-mail sender's name (SNS allows 100 characters; a stack name may have 128).
      const displayName = `${Stack.of(this).stackName.slice(0, 93)} alarms`;
      const topic = new Topic(this, 'AlarmTopic', { displayName, enforceSSL: true });
      // The topic policy replaces SNS's default one, so it says who may publish: this account's alarms.
      topic.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AllowCloudWatchAlarms',
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
          },
        }),
      );
      this.alarmTopic = topic;
      this.createdAlarmTopic = topic;
    }
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.alarmTopic);

    const alarm = (alarmId: string, metric: IMetric, options: AlarmOptions) => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold: options.threshold,
        evaluationPeriods: options.evaluationPeriods ?? 1,
        datapointsToAlarm: options.datapointsToAlarm,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: options.description,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    const dlqDepth = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    alarm('DeadLetterQueueDepth', dlqDepth, {
      threshold: 1,
      description: 'Delivery tasks reached the dead-letter queue: they failed before their claim on every receive (throttled or failing table reads), so those webhooks were never called.',
    });

    const backlogAge = props.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' });
    alarm('DeliveryBacklogAge', backlogAge, {
      threshold: 300,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      description: 'The oldest queued delivery is over 5 minutes old: deliveries are falling behind.',
    });

    const backlogDepth = props.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    alarm('DeliveryBacklogDepth', backlogDepth, {
      threshold: props.backlogDepthThreshold,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      description: `At least ${props.backlogDepthThreshold} delivery messages are waiting in the queue: publishes arrive faster than deliveries drain (receivers slow, deliveryMaxConcurrency too low).`,
    });

    const dimensionsMap = serviceDimensionsOf(this);
    const serviceMetric = (metricName: string, statistic = 'Sum') =>
      new Metric({ namespace: SERVICE_METRICS.namespace, metricName, dimensionsMap: { ...dimensionsMap }, statistic, period: Duration.minutes(5) });
    const succeeded = serviceMetric(SERVICE_METRICS.succeeded);
    const failed = serviceMetric(SERVICE_METRICS.failed);
    const failureRate = new MathExpression({
      expression: 'IF((FILL(succeeded, 0) + FILL(failed, 0)) > 0, 100 * FILL(failed, 0) / (FILL(succeeded, 0) + FILL(failed, 0)), 0)',
      usingMetrics: { succeeded, failed },
      label: 'Delivery failure rate (%)',
      period: Duration.minutes(5),
    });
    alarm('DeliveryFailureRate', failureRate, {
      threshold: props.failureRateThresholdPercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `At least ${props.failureRateThresholdPercent}% of delivery attempts failed (non-2xx, timeout, refused destination): receivers are down or misconfigured.`,
    });

    const retryable = serviceMetric(SERVICE_METRICS.retryableFailure);
    alarm('DeliveryRetryableFailures', retryable, {
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      description: 'Delivery groups were returned to the queue unattempted (throttled or failing table reads before their claim) in each of three 5-minute periods: persistent, not a blip; if it goes on they reach the dead-letter queue.',
    });

    const notRecorded = serviceMetric(SERVICE_METRICS.outcomesNotRecorded);
    alarm('OutcomesNotRecorded', notRecorded, {
      threshold: 1,
      description: 'Deliveries were made but their outcomes could not be written to the delivery history (table throttled or failing): GET deliveries will miss them.',
    });

    const publishQueueFailures = serviceMetric(SERVICE_METRICS.publishQueueFailures);
    alarm('PublishQueueFailures', publishQueueFailures, {
      threshold: 1,
      description: 'The delivery queue refused a publish (the client got 500): those messages were not, or only partly, queued for delivery.',
    });

    const stage = props.restApi.deploymentStage;
    const serverErrors = stage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
    const requests = stage.metricCount({ period: Duration.minutes(5), statistic: 'Sum' });
    const api5xxRate = new MathExpression({
      expression: `IF(FILL(requests, 0) >= ${API_5XX_MIN_REQUESTS}, 100 * FILL(errors, 0) / FILL(requests, 0), 0)`,
      usingMetrics: { errors: serverErrors, requests },
      label: 'API 5XX rate (%)',
      period: Duration.minutes(5),
    });
    alarm('Api5xxRate', api5xxRate, {
      threshold: API_5XX_RATE_THRESHOLD_PERCENT,
      description: `At least ${API_5XX_RATE_THRESHOLD_PERCENT}% of API requests answered 5xx in 5 minutes (with at least ${API_5XX_MIN_REQUESTS} requests): a handled 500 counts too, which function Errors do not see.`,
    });

    for (const fn of props.functions) {
      alarm(`${fn.node.id}Errors`, fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
        threshold: 1,
        description: `${fn.name} failed (crashed or timed out); handled errors are answered, not counted here.`,
      });
      alarm(`${fn.node.id}Throttles`, fn.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), {
        threshold: 1,
        description: `${fn.name} was throttled: the account's or function's concurrency limit was reached.`,
      });
    }

    if (!props.dashboard) return;
    const latency = serviceMetric(SERVICE_METRICS.latency, 'p99');
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'API requests', left: [stage.metricCount()], right: [stage.metricClientError(), stage.metricServerError()], width: 8 }),
      new GraphWidget({ title: 'API latency (p99)', left: [stage.metricLatency({ statistic: 'p99' }), stage.metricIntegrationLatency({ statistic: 'p99' })], width: 8 }),
      new GraphWidget({ title: 'Deliveries', left: [succeeded, failed], right: [failureRate], width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Delivery latency (p99, ms)', left: [latency], width: 8 }),
      new GraphWidget({
        title: 'Delivery queue',
        left: [backlogDepth, dlqDepth],
        right: [backlogAge],
        width: 8,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'API 5XX rate (%)', left: [api5xxRate], width: 8 }),
      new GraphWidget({ title: 'Publish and delivery problems', left: [publishQueueFailures, notRecorded, retryable], width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Function errors', left: props.functions.map((f) => f.function.metricErrors({ label: f.name })), width: 8 }),
      new GraphWidget({ title: 'Function throttles', left: props.functions.map((f) => f.function.metricThrottles({ label: f.name })), width: 8 }),
      new GraphWidget({
        title: 'Function duration (p99)',
        left: props.functions.map((f) => f.function.metricDuration({ label: f.name, statistic: 'p99' })),
        width: 8,
      }),
    );
  }
}
