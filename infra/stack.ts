import { Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { DELIVERY_FUNCTION, HTTP_FUNCTIONS, HTTP_ROUTES, type HttpFunctionName } from '#functions/routes.ts';
import { DELIVERY_QUEUE_DEFAULTS } from '#shared/queue-settings.ts';
import { createTableInput, TABLE_KEYS } from '#shared/store/table-schema.ts';
import { QUEUE_SENDERS, TABLE_ACCESS } from './access.ts';
import { settingsFromContext } from './config.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { ServiceApi } from './constructs/service-api.ts';
import { queueSendBinding, ServiceFunction, tableBinding } from './constructs/service-function.ts';
import { FUNCTION_SIZING, type ServiceSettings } from './defaults.ts';
import { serviceEnvironment } from './environment.ts';

export interface TopicWebhooksStackProps extends StackProps {
  /** Settings that win over CDK context and the defaults (`SERVICE_DEFAULTS`). */
  readonly settings?: Partial<ServiceSettings>;
}

/** `put-webhook` → `PutWebhook`: construct ids, hence readable logical ids and alarm names. */
export const constructIdOf = (name: string): string =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/**
 * The delivery queue's visibility timeout: AWS's advice for a Lambda event source, six times
 * the function's timeout plus the batching window (a record waits in the window, invisible).
 */
export function deliveryVisibilityTimeoutSeconds(settings: Pick<ServiceSettings, 'maxBatchingWindowSeconds'>): number {
  return 6 * FUNCTION_SIZING[DELIVERY_FUNCTION].timeoutSeconds + settings.maxBatchingWindowSeconds;
}

/**
 * Whether the stage writes access and execution logs. API Gateway writes either only through
 * the account-wide CloudWatch role, so: when this stack creates it, or the account has one.
 */
export function apiGatewayLogging(settings: Pick<ServiceSettings, 'target' | 'apiGatewayCloudWatchRole' | 'apiGatewayAccountHasRole'>): boolean {
  return settings.target === 'aws' && (settings.apiGatewayCloudWatchRole || settings.apiGatewayAccountHasRole);
}

/**
 * The whole service (docs/design.md#architecture): the REST API and one function per operation, the single
 * table, the delivery queue with its dead-letter queue and event source, least-privilege roles,
 * log groups, alarms notifying an SNS topic and (on AWS) a dashboard. `-c target=localstack` leaves out what
 * LocalStack's free image cannot deploy.
 */
export class TopicWebhooksStack extends Stack {
  readonly settings: ServiceSettings;
  readonly table: Table;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly functions: Readonly<Record<HttpFunctionName | typeof DELIVERY_FUNCTION, ServiceFunction>>;
  readonly api: ServiceApi;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: TopicWebhooksStackProps = {}) {
    super(scope, id, {
      description: 'Topic webhooks: a self-hostable, Momento-compatible webhook service for topic messages',
      ...props,
    });
    const settings = settingsFromContext(this.node, props.settings);
    this.settings = settings;
    const onAws = settings.target === 'aws';

    this.table = this.createTable(settings);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DELIVERY_QUEUE_DEFAULTS.dlqRetentionDays),
    });
    this.queue = new Queue(this, 'DeliveryQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(deliveryVisibilityTimeoutSeconds(settings)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: DELIVERY_QUEUE_DEFAULTS.maxReceiveCount },
    });

    // The stack's name as the `service` of every log line and metric: the alarms' dimension.
    const environment = { ...serviceEnvironment(settings), POWERTOOLS_SERVICE_NAME: this.stackName };
    const functions = {} as Record<HttpFunctionName | typeof DELIVERY_FUNCTION, ServiceFunction>;
    for (const name of [...HTTP_FUNCTIONS, DELIVERY_FUNCTION]) {
      const fn = new ServiceFunction(this, constructIdOf(name), {
        name,
        memorySizeMb: FUNCTION_SIZING[name].memorySizeMb,
        timeoutSeconds: FUNCTION_SIZING[name].timeoutSeconds,
        architecture: settings.architecture,
        logRetentionDays: settings.logRetentionDays,
        environment,
      });
      fn.bind(tableBinding(this.table, TABLE_ACCESS[name]));
      if ((QUEUE_SENDERS as readonly string[]).includes(name)) fn.bind(queueSendBinding(this.queue));
      functions[name] = fn;
    }
    this.functions = functions;

    functions[DELIVERY_FUNCTION].function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: settings.maxBatchingWindowSeconds > 0 ? Duration.seconds(settings.maxBatchingWindowSeconds) : undefined,
        // Only records that failed before their claim go back to the queue (docs/design.md#delivery-contract: never a second POST).
        reportBatchItemFailures: true,
        maxConcurrency: settings.deliveryMaxConcurrency,
      }),
    );

    this.api = new ServiceApi(this, 'Api', {
      routes: HTTP_ROUTES,
      functions,
      stageName: settings.stageName,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      logRetentionDays: settings.logRetentionDays,
      cloudWatchRole: onAws && settings.apiGatewayCloudWatchRole,
      logging: apiGatewayLogging(settings),
    });
    if (onAws && settings.webAclArn) {
      new CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.api.restApi.deploymentStage.stageArn,
        webAclArn: settings.webAclArn,
      });
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: Object.values(functions),
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      restApi: this.api.restApi,
      failureRateThresholdPercent: settings.deliveryFailureRateThresholdPercent,
      backlogDepthThreshold: settings.deliveryBacklogDepthThreshold,
      dashboard: onAws,
      alarmTopicArn: settings.alarmTopicArn,
      alarmEmail: settings.alarmEmail,
    });

    const restApi = this.api.restApi;
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the HTTP API (on LocalStack use RestApiId and StageName instead)',
      value: Fn.join('', ['https://', restApi.restApiId, '.execute-api.', Aws.REGION, '.', Aws.URL_SUFFIX, '/', settings.stageName]),
    });
    new CfnOutput(this, 'RestApiId', { value: restApi.restApiId });
    new CfnOutput(this, 'StageName', { value: restApi.deploymentStage.stageName });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'QueueUrl', { value: this.queue.queueUrl });
    new CfnOutput(this, 'DlqUrl', { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'The SNS topic every alarm notifies', value: this.monitoring.alarmTopic.topicArn });
    new CfnOutput(this, 'Region', { description: 'The region the stack is in (the operator CLI reads it)', value: Aws.REGION });
  }

  /** The table exactly as `createTableInput` describes it (local mode creates it from the same function). */
  private createTable(settings: ServiceSettings): Table {
    const input = createTableInput('schema');
    const attribute = (name: string | undefined): Attribute => {
      const definition = input.AttributeDefinitions?.find((a) => a.AttributeName === name);
      if (!definition?.AttributeName) throw new Error(`table schema: no attribute definition for ${String(name)}`);
      const type = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY }[definition.AttributeType ?? 'S'];
      return { name: definition.AttributeName, type };
    };
    const keyOf = (schema: typeof input.KeySchema, keyType: 'HASH' | 'RANGE') =>
      schema?.find((k) => k.KeyType === keyType)?.AttributeName;

    const table = new Table(this, 'Table', {
      partitionKey: attribute(keyOf(input.KeySchema, 'HASH')),
      sortKey: attribute(keyOf(input.KeySchema, 'RANGE')),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      deletionProtection: settings.deletionProtection,
      // Protected data is also kept if the stack goes; unprotected (LocalStack, teardown) goes with it.
      removalPolicy: settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const index of input.GlobalSecondaryIndexes ?? []) {
      const projection = index.Projection?.ProjectionType;
      table.addGlobalSecondaryIndex({
        indexName: index.IndexName!,
        partitionKey: attribute(keyOf(index.KeySchema, 'HASH')),
        sortKey: keyOf(index.KeySchema, 'RANGE') ? attribute(keyOf(index.KeySchema, 'RANGE')) : undefined,
        projectionType:
          projection === 'INCLUDE' ? ProjectionType.INCLUDE : projection === 'KEYS_ONLY' ? ProjectionType.KEYS_ONLY : ProjectionType.ALL,
        nonKeyAttributes: projection === 'INCLUDE' ? index.Projection?.NonKeyAttributes : undefined,
      });
    }
    return table;
  }
}
