import { Duration } from 'aws-cdk-lib';
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
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#shared/service-name.ts';
import type { ServiceFunction } from './service-function.ts';

/** The delivery metrics' namespace and dimension (Powertools: namespace + default `service` dimension). */
export const DELIVERY_METRICS = {
  namespace: METRICS_NAMESPACE,
  dimensions: { service: SERVICE_NAME },
  succeeded: 'DeliverySucceeded',
  failed: 'DeliveryFailed',
  latency: 'DeliveryLatency',
} as const;

export interface MonitoringProps {
  readonly functions: readonly ServiceFunction[];
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly restApi: RestApi;
  /** Failed deliveries, in percent of attempted ones, that raise the failure-rate alarm. */
  readonly failureRateThresholdPercent: number;
  /** Build the dashboard (LocalStack's free image has no dashboards). */
  readonly dashboard: boolean;
  /** An SNS topic every alarm notifies. */
  readonly alarmTopicArn?: string;
}

/**
 * Alarms on what an operator must act on: messages in the dead-letter queue, a delivery
 * backlog, a high delivery failure rate, and any function's errors or throttles. A dashboard
 * with the same signals and the API's traffic, where the target has dashboards.
 */
export class Monitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard | undefined;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const action = props.alarmTopicArn
      ? new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn))
      : undefined;
    const alarm = (alarmId: string, metric: IMetric, options: { threshold: number; description: string; evaluationPeriods?: number; datapointsToAlarm?: number }) => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold: options.threshold,
        evaluationPeriods: options.evaluationPeriods ?? 1,
        datapointsToAlarm: options.datapointsToAlarm,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: options.description,
      });
      if (action) {
        created.addAlarmAction(action);
        created.addOkAction(action);
      }
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

    const deliveryMetric = (metricName: string, statistic = 'Sum') =>
      new Metric({ namespace: DELIVERY_METRICS.namespace, metricName, dimensionsMap: { ...DELIVERY_METRICS.dimensions }, statistic, period: Duration.minutes(5) });
    const succeeded = deliveryMetric(DELIVERY_METRICS.succeeded);
    const failed = deliveryMetric(DELIVERY_METRICS.failed);
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
    const stage = props.restApi.deploymentStage;
    const latency = deliveryMetric(DELIVERY_METRICS.latency, 'p99');
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
        left: [props.queue.metricApproximateNumberOfMessagesVisible(), dlqDepth],
        right: [backlogAge],
        width: 8,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 8 }),
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
