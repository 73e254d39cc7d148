import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_FUNCTION, HTTP_FUNCTIONS, HTTP_ROUTES } from '#functions/routes.ts';
import { loadConfig } from '#shared/config.ts';
import { METRICS_NAMESPACE } from '#shared/service-name.ts';
import { createTableInput } from '#shared/store/table-schema.ts';
import { asList, logicalIdOf, statementsOfRole, synthesize, type Statement, type Synthesized } from './synth.ts';

/** The stack as `cdk synth` builds it for AWS with every default: deliverables 1 and 3 of the issue. */
let s: Synthesized;
let template: Template;
const ALL_FUNCTIONS = [...HTTP_FUNCTIONS, DELIVERY_FUNCTION] as const;
type FunctionName = (typeof ALL_FUNCTIONS)[number];

beforeAll(() => {
  s = synthesize();
  template = s.template;
});

const fnId = (name: FunctionName) => logicalIdOf(s.stack, s.stack.functions[name].function);
const roleId = (name: FunctionName) => logicalIdOf(s.stack, s.stack.functions[name].role);
const logGroupId = (name: FunctionName) => logicalIdOf(s.stack, s.stack.functions[name].logGroup);
const tableId = () => logicalIdOf(s.stack, s.stack.table);
const queueId = () => logicalIdOf(s.stack, s.stack.queue);
const dlqId = () => logicalIdOf(s.stack, s.stack.deadLetterQueue);
/** The resource with this logical id, as synthesized, for the checks a matcher cannot express. */
const props = (id: string) => {
  const found = template.toJSON().Resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found.Properties ?? {};
};
/** The resource with this logical id matches `pattern`: `Match.objectLike` at every level unless a matcher in it says otherwise. */
const expectResource = (id: string, pattern: object) => template.templateMatches({ Resources: { [id]: pattern } });
const expectProps = (id: string, properties: object) => expectResource(id, { Properties: properties });
const expectFunction = (name: FunctionName, properties: object) => expectProps(fnId(name), properties);

describe('REST API', () => {
  const restApiId = () => logicalIdOf(s.stack, s.stack.api.restApi);

  /** `/webhooks/{cacheName}` from a method's ResourceId, following ParentId up to the root. */
  function pathOf(ref: unknown): string {
    const json = JSON.stringify(ref);
    if (json === JSON.stringify({ 'Fn::GetAtt': [restApiId(), 'RootResourceId'] })) return '';
    const id = (ref as { Ref: string }).Ref;
    const r = props(id);
    return `${pathOf(r.ParentId)}/${String(r.PathPart)}`;
  }

  it('is a regional REST API (v1) that hands every body over base64-encoded', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    expectProps(restApiId(), { BinaryMediaTypes: ['*/*'], EndpointConfiguration: Match.objectEquals({ Types: ['REGIONAL'] }) });
  });

  it('has exactly the routes of functions/routes.ts, each a Lambda proxy integration of its function', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => {
      const p = m.Properties;
      const integration = p.Integration as { Type: string; IntegrationHttpMethod: string; Uri: unknown };
      const target = /"Fn::GetAtt":\["(\w+)","Arn"\]/.exec(JSON.stringify(integration.Uri))?.[1];
      return {
        method: p.HttpMethod,
        path: pathOf(p.ResourceId),
        target,
        type: integration.Type,
        integrationMethod: integration.IntegrationHttpMethod,
        authorization: p.AuthorizationType,
      };
    });
    const expected = HTTP_ROUTES.map((r) => ({
      method: r.method,
      path: r.path,
      target: fnId(r.functionName),
      type: 'AWS_PROXY',
      integrationMethod: 'POST',
      // Authentication is the functions' job (§2): LocalStack's free image skips authorizers.
      authorization: 'NONE',
    }));
    const byKey = (a: { method: unknown; path: string }) => `${a.path} ${String(a.method)}`;
    expect([...methods].sort((a, b) => byKey(a).localeCompare(byKey(b)))).toEqual(
      [...expected].sort((a, b) => byKey(a).localeCompare(byKey(b))),
    );
  });

  it('lets API Gateway invoke each HTTP function, and no other principal', () => {
    template.resourceCountIs('AWS::Lambda::Permission', HTTP_ROUTES.length);
    template.allResourcesProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', Action: 'lambda:InvokeFunction' });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map((p) => p.Properties);
    // Scoped to this API's own stage ARN, never `*`.
    for (const p of permissions) expect(JSON.stringify(p.SourceArn)).toContain(restApiId());
    const invoked = new Set(permissions.map((p) => JSON.stringify(p.FunctionName)));
    expect(invoked).toEqual(new Set(HTTP_FUNCTIONS.map((name) => JSON.stringify({ 'Fn::GetAtt': [fnId(name), 'Arn'] }))));
  });

  describe('stage', () => {
    /** The one stage has these properties. */
    const expectStage = (properties: object) => {
      template.resourceCountIs('AWS::ApiGateway::Stage', 1);
      template.hasResourceProperties('AWS::ApiGateway::Stage', properties);
    };

    it('is named v1 and throttles every method', () => {
      expectStage({
        StageName: 'v1',
        MethodSettings: [Match.objectLike({ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })],
      });
    });

    it('by default logs nothing and creates no account-wide role: API Gateway logs only through one', () => {
      expectStage({
        MethodSettings: [Match.objectLike({ LoggingLevel: 'OFF', DataTraceEnabled: false, MetricsEnabled: true })],
        AccessLogSetting: Match.absent(),
      });
      template.resourceCountIs('AWS::ApiGateway::Account', 0);
      expect(s.stack.api.accessLogGroup).toBeUndefined();
      expect(s.stack.api.executionLogGroup).toBeUndefined();
    });

    describe('with the account-wide role (-c apiGatewayCloudWatchRole=true)', () => {
      let logged: Synthesized;
      beforeAll(() => {
        logged = synthesize({ apiGatewayCloudWatchRole: 'true' });
      });

      it('logs execution errors only, never request or response data', () => {
        logged.template.hasResourceProperties('AWS::ApiGateway::Stage', {
          MethodSettings: [Match.objectLike({ LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true })],
        });
      });

      it('writes access logs without bodies, headers (Authorization) or the query string (?token=)', () => {
        const destination = new Capture();
        const format = new Capture(
          Match.serializedJson(Match.objectLike({ requestId: '$context.requestId', status: '$context.status', resourcePath: '$context.resourcePath' })),
        );
        logged.template.hasResourceProperties('AWS::ApiGateway::Stage', { AccessLogSetting: { DestinationArn: destination, Format: format } });
        const accessLogId = logicalIdOf(logged.stack, logged.stack.api.accessLogGroup!);
        expect(JSON.stringify(destination.asObject())).toContain(accessLogId);
        const fields = JSON.parse(format.asString()) as Record<string, string>;
        expect(Object.values(fields).every((v) => v.startsWith('$context.'))).toBe(true);
        for (const forbidden of ['$input', 'header', 'authorization', 'querystring', 'requestOverride', '$context.path', 'body']) {
          expect(format.asString().toLowerCase()).not.toContain(forbidden.toLowerCase());
        }
        logged.template.templateMatches({ Resources: { [accessLogId]: { Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Delete' } } });
      });

      it('has exactly one account-wide CloudWatch role, kept when the stack goes', () => {
        logged.template.resourceCountIs('AWS::ApiGateway::Account', 1);
        const roleArn = new Capture();
        logged.template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: roleArn });
        expect(JSON.stringify(roleArn.asObject())).toContain('CloudWatchRole');
        // Shared by every API of the account: kept when this stack goes.
        const role = Object.entries(logged.template.findResources('AWS::IAM::Role')).find(([id]) => id.includes('CloudWatchRole'));
        expect(role?.[1].DeletionPolicy).toBe('Retain');
      });
    });
  });

  describe('API Gateway errors in the service error JSON (§2)', () => {
    const responses = () =>
      new Map(
        Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => {
          const p = r.Properties;
          const body = JSON.parse((p.ResponseTemplates as Record<string, string>)['application/json']!) as unknown;
          return [String(p.ResponseType), { status: p.StatusCode as string | undefined, body }];
        }),
      );
    /** A gateway response of this type, with this status (none: API Gateway's default) and exactly this JSON error body. */
    const expectResponse = (type: string, status: string | undefined, code: string) =>
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: status ?? Match.absent(),
        ResponseTemplates: { 'application/json': Match.serializedJson({ error: { code, message: Match.stringLikeRegexp('.+') } }) },
      });

    it('answers an unknown route or method 404 NOT_FOUND_ERROR instead of 403 "Missing Authentication Token"', () => {
      expectResponse('MISSING_AUTHENTICATION_TOKEN', '404', 'NOT_FOUND_ERROR');
    });

    it.each([
      ['UNAUTHORIZED', '401', 'AUTHENTICATION_ERROR'],
      ['ACCESS_DENIED', '403', 'PERMISSION_ERROR'],
      ['BAD_REQUEST_BODY', '400', 'INVALID_ARGUMENT_ERROR'],
      ['REQUEST_TOO_LARGE', '413', 'LIMIT_EXCEEDED_ERROR'],
      ['THROTTLED', '429', 'LIMIT_EXCEEDED_ERROR'],
      ['DEFAULT_4XX', undefined, 'INVALID_ARGUMENT_ERROR'],
      ['INTEGRATION_TIMEOUT', '500', 'INTERNAL_SERVER_ERROR'],
      ['INTEGRATION_FAILURE', '500', 'INTERNAL_SERVER_ERROR'],
      ['DEFAULT_5XX', '500', 'INTERNAL_SERVER_ERROR'],
    ])('maps %s to status %s and %s', (type, status, code) => {
      expectResponse(type, status, code);
    });

    it('renders every gateway response in the error shape, with a status that matches its code', () => {
      const statusOf: Record<string, (string | undefined)[]> = {
        INVALID_ARGUMENT_ERROR: ['400', undefined],
        AUTHENTICATION_ERROR: ['401'],
        PERMISSION_ERROR: ['403'],
        NOT_FOUND_ERROR: ['404'],
        LIMIT_EXCEEDED_ERROR: ['413', '429'],
        INTERNAL_SERVER_ERROR: ['500'],
      };
      expect(responses().size).toBeGreaterThanOrEqual(10);
      for (const [type, { status, body }] of responses()) {
        const error = (body as { error: { code: string; message: string } }).error;
        expect(Object.keys(body as object), type).toEqual(['error']);
        expect(Object.keys(error).sort(), type).toEqual(['code', 'message']);
        expect(statusOf[error.code], `${type} ${error.code}`).toContain(status);
      }
    });
  });
});

describe('functions', () => {
  const fn = (name: FunctionName) => props(fnId(name));
  const env = (name: FunctionName) => (fn(name).Environment as { Variables: Record<string, unknown> }).Variables;

  it('has one Node 22 arm64 function per operation, bundled as index.handler', () => {
    template.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length);
    for (const name of ALL_FUNCTIONS) {
      expectFunction(name, { Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
    }
  });

  it.each([
    ['put-webhook', 256, 10],
    ['list-keys', 256, 10],
    ['publish-message', 512, 20],
    ['health', 128, 5],
    ['serve-console', 128, 5],
    [DELIVERY_FUNCTION, 512, 30],
  ] as const)('sizes %s at %i MB and %i s', (name, memory, timeout) => {
    expectFunction(name, { MemorySize: memory, Timeout: timeout });
  });

  it('gives delivery time for a 5 s POST plus its reads and writes, and the queue six times that plus the batching window', () => {
    const timeout = fn(DELIVERY_FUNCTION).Timeout as number;
    expect(timeout).toBeGreaterThanOrEqual(15);
    expect(props(queueId()).VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout + s.stack.settings.maxBatchingWindowSeconds);
  });

  it('logs each function to its own log group with retention, and never through Custom::LogRetention', () => {
    for (const name of ALL_FUNCTIONS) {
      expectFunction(name, { LoggingConfig: Match.objectEquals({ LogGroup: { Ref: logGroupId(name) } }) });
      expectProps(logGroupId(name), { RetentionInDays: 30 });
    }
    // API Gateway's log groups come only with its logging (operations.test.ts).
    template.resourceCountIs('AWS::Logs::LogGroup', ALL_FUNCTIONS.length);
    const types = Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.some((type) => type.startsWith('Custom::'))).toBe(false);
  });

  it('configures every function through the environment shared/config.ts reads, never DEV_API_KEY', () => {
    for (const name of ALL_FUNCTIONS) {
      expectFunction(name, {
        Environment: {
          Variables: {
            TABLE_NAME: Match.objectEquals({ Ref: tableId() }),
            // The stack's name: the `service` dimension of every metric (two stacks in one account do not mix).
            POWERTOOLS_SERVICE_NAME: 'TopicWebhooks',
            POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
            NODE_OPTIONS: '--enable-source-maps',
            MAX_MESSAGE_BYTES: '131072',
            MAX_WEBHOOKS_PER_CACHE: '100',
            DELIVERY_RECORD_TTL_DAYS: '7',
            PUBLISH_SEND_CONCURRENCY: '8',
            DELIVERY_USER_AGENT: 'Momento/1.0 (Webhooks; +https://docs.momentohq.com/topics/webhooks)',
            DEV_API_KEY: Match.absent(),
            AWS_ENDPOINT_URL: Match.absent(),
            DESTINATION_ALLOWLIST: Match.absent(),
          },
        },
      });
      // What the function would parse at cold start, resource names filled in.
      const vars = env(name);
      const literal = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${k}`]));
      const config = loadConfig(literal);
      expect(config.maxMessageBytes).toBe(131072);
      expect(config.destinationAllowlist).toEqual([]);
    }
  });

  it('gives the queue URL to publish only', () => {
    expectFunction('publish-message', { Environment: { Variables: { QUEUE_URL: Match.objectEquals({ Ref: queueId() }) } } });
    for (const name of ALL_FUNCTIONS.filter((n) => n !== 'publish-message')) {
      expectFunction(name, { Environment: { Variables: { QUEUE_URL: Match.absent() } } });
    }
  });
});

describe('least-privilege IAM', () => {
  const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'];

  /** `dynamodb:GetItem table APIKEY#*` per action, resource and leading-key pattern. */
  function dynamoGrants(name: FunctionName): string[] {
    const grants: string[] = [];
    for (const statement of statementsOfRole(template, roleId(name))) {
      const actions = asList(statement.Action).filter((a) => a.startsWith('dynamodb:'));
      if (actions.length === 0) continue;
      expect(statement.Effect).toBe('Allow');
      const resources = asList(statement.Resource as unknown[]).map((r) => {
        const json = JSON.stringify(r);
        if (json === JSON.stringify({ 'Fn::GetAtt': [tableId(), 'Arn'] })) return 'table';
        const index = new RegExp(`^\\{"Fn::Join":\\["",\\[\\{"Fn::GetAtt":\\["${tableId()}","Arn"\\]\\},"/index/(\\w+)"\\]\\]\\}$`).exec(json);
        if (index) return `index/${index[1]}`;
        throw new Error(`${name}: unexpected DynamoDB resource ${json}`);
      });
      const leading = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
      const keys = leading === undefined ? '-' : asList(leading as string[]).join('|');
      for (const action of actions) for (const r of resources) grants.push(`${action} ${r} ${keys}`);
    }
    return grants.sort();
  }

  const AUTH = 'dynamodb:GetItem table APIKEY#*';
  it.each<[FunctionName, string[]]>([
    ['health', []],
    ['serve-console', []],
    ['put-webhook', [AUTH, 'dynamodb:GetItem table CACHE#*', 'dynamodb:PutItem table CACHE#*', 'dynamodb:Query table CACHE#*', 'dynamodb:UpdateItem table CACHE#*']],
    ['list-webhooks', [AUTH, 'dynamodb:Query table CACHE#*']],
    ['delete-webhook', [AUTH, 'dynamodb:DeleteItem table CACHE#*', 'dynamodb:UpdateItem table CACHE#*']],
    ['get-webhook-secret', [AUTH, 'dynamodb:GetItem table CACHE#*']],
    ['rotate-webhook-secret', [AUTH, 'dynamodb:UpdateItem table CACHE#*']],
    ['list-deliveries', [AUTH, 'dynamodb:GetItem table CACHE#*', 'dynamodb:Query table HISTORY#*']],
    ['test-webhook', [AUTH, 'dynamodb:BatchWriteItem table HISTORY#*', 'dynamodb:GetItem table CACHE#*']],
    ['publish-message', [AUTH, 'dynamodb:PutItem table TOPIC#*', 'dynamodb:Query index/byTopic -', 'dynamodb:UpdateItem table TOPIC#*']],
    ['subscribe-topic', [AUTH, 'dynamodb:GetItem table TOPIC#*', 'dynamodb:Query table TOPIC#*']],
    ['create-key', [AUTH, 'dynamodb:PutItem table APIKEY#*']],
    ['list-keys', [AUTH, 'dynamodb:Query index/byKind -']],
    ['revoke-key', [AUTH, 'dynamodb:DeleteItem table APIKEY#*']],
    [DELIVERY_FUNCTION, ['dynamodb:BatchGetItem table CACHE#*', 'dynamodb:PutItem table CLAIM#*', 'dynamodb:BatchWriteItem table HISTORY#*']],
  ])('%s may make exactly its own DynamoDB calls', (name, expected) => {
    expect(dynamoGrants(name)).toEqual([...expected].sort());
  });

  it('lets only the webhook routes that need it and delivery read webhook items (the secrets)', () => {
    const canReadWebhooks = ALL_FUNCTIONS.filter((name) =>
      dynamoGrants(name).some((grant) => {
        const [action, target, keys] = grant.split(' ') as [string, string, string];
        return READ_ACTIONS.includes(action) && target === 'table' && (keys === '-' || keys.split('|').some((k) => 'CACHE#x'.startsWith(k.replace('*', ''))));
      }),
    );
    // The ping signs with the secret; the history route reads the webhook's incarnation id.
    expect(canReadWebhooks.sort()).toEqual(['deliver-messages', 'get-webhook-secret', 'list-deliveries', 'list-webhooks', 'put-webhook', 'test-webhook']);
  });

  it('never grants a wildcard action or resource', () => {
    for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        for (const action of asList(statement.Action)) expect(action, id).not.toMatch(/(^\*$|:\*$)/);
        for (const r of asList(statement.Resource as unknown[])) expect(r, id).not.toBe('*');
      }
    }
  });

  it('gives each function its own role, without managed policies, writing only its own log group', () => {
    for (const name of ALL_FUNCTIONS) {
      expectFunction(name, { Role: Match.objectEquals({ 'Fn::GetAtt': [roleId(name), 'Arn'] }) });
      expectProps(roleId(name), { ManagedPolicyArns: Match.absent() });
      expect(JSON.stringify(props(roleId(name)).AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
      const logs = statementsOfRole(template, roleId(name)).filter((st) => asList(st.Action).some((a) => a.startsWith('logs:')));
      expect(logs, name).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId(name), 'Arn'] } },
      ]);
    }
  });

  it('lets publish send to the delivery queue and nothing else touch SQS but delivery, which only consumes', () => {
    const sqsStatements = (name: FunctionName) => statementsOfRole(template, roleId(name)).filter((st) => asList(st.Action).some((a) => a.startsWith('sqs:')));
    expect(sqsStatements('publish-message')).toEqual([
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId(), 'Arn'] } },
    ]);
    const consume = sqsStatements(DELIVERY_FUNCTION);
    expect(consume).toHaveLength(1);
    expect(consume[0]!.Resource).toEqual({ 'Fn::GetAtt': [queueId(), 'Arn'] });
    expect(asList(consume[0]!.Action).sort()).toEqual(
      ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'].sort(),
    );
    for (const name of ALL_FUNCTIONS.filter((n) => n !== 'publish-message' && n !== DELIVERY_FUNCTION)) {
      expect(sqsStatements(name), name).toEqual([]);
    }
  });
});

describe('table', () => {
  const table = () => props(tableId());
  type Key = { AttributeName: string; KeyType: string };
  type Index = { IndexName: string; KeySchema: Key[]; Projection: { ProjectionType: string; NonKeyAttributes?: string[] } };
  const normalizeIndex = (i: Index) => ({
    IndexName: i.IndexName,
    KeySchema: i.KeySchema,
    Projection: { ...i.Projection, ...(i.Projection.NonKeyAttributes ? { NonKeyAttributes: [...i.Projection.NonKeyAttributes].sort() } : {}) },
  });

  it('matches createTableInput (the table local mode creates): keys, attributes, indexes and projections', () => {
    const input = createTableInput('any');
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expectProps(tableId(), { KeySchema: Match.exact(input.KeySchema), BillingMode: input.BillingMode });
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => String(a.AttributeName).localeCompare(String(b.AttributeName));
    expect([...(table().AttributeDefinitions as Key[])].sort(byName)).toEqual([...input.AttributeDefinitions!].sort(byName));
    const indexes = (table().GlobalSecondaryIndexes as Index[]).map(normalizeIndex).sort((a, b) => a.IndexName.localeCompare(b.IndexName));
    const expected = (input.GlobalSecondaryIndexes as Index[]).map(normalizeIndex).sort((a, b) => a.IndexName.localeCompare(b.IndexName));
    expect(indexes).toEqual(expected);
  });

  it('is on-demand with point-in-time recovery, TTL on expiresAt and deletion protection; kept on stack deletion', () => {
    expectResource(tableId(), {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('delivery queue', () => {
  it('sends a message to the dead-letter queue after five receives; both queues encrypted', () => {
    expectProps(queueId(), {
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId(), 'Arn'] }, maxReceiveCount: 5 },
      VisibilityTimeout: 180,
    });
    expectProps(dlqId(), { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it('refuses any access to either queue without TLS', () => {
    for (const queue of [queueId(), dlqId()]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: Match.exact([{ Ref: queue }]),
        PolicyDocument: {
          // arrayWith compares plain elements exactly.
          Statement: Match.arrayWith([
            {
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
            },
          ]),
        },
      });
    }
  });

  it('feeds the delivery function in batches of ten with ReportBatchItemFailures, no batching window and at most 20 at once', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResource('AWS::Lambda::EventSourceMapping', {
      Properties: Match.objectEquals({
        BatchSize: 10,
        EventSourceArn: { 'Fn::GetAtt': [queueId(), 'Arn'] },
        FunctionName: { Ref: fnId(DELIVERY_FUNCTION) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 20 },
      }),
      // The role's grants exist before the mapping starts polling.
      DependsOn: Match.arrayWith([roleId(DELIVERY_FUNCTION)]),
    });
  });
});

describe('alarms and dashboard', () => {
  it('alarms as soon as one message is in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: Match.exact([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId(), 'QueueName'] } }]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on the delivery failure rate computed from the metrics delivery emits', () => {
    const withMetric = (metric: object) => ({ Properties: { Metrics: Match.arrayWith([Match.objectLike(metric)]) } });
    const rate = template.getResourceId('AWS::CloudWatch::Alarm', withMetric({ MetricStat: { Metric: { MetricName: 'DeliveryFailed' } } }));
    expectProps(rate, { Threshold: 10 });
    for (const [id, metricName] of [['succeeded', 'DeliverySucceeded'], ['failed', 'DeliveryFailed']] as const) {
      expectResource(
        rate,
        withMetric({
          Id: id,
          MetricStat: Match.objectEquals({
            Metric: { Namespace: METRICS_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: 'service', Value: s.stack.stackName }] },
            Period: 300,
            Stat: 'Sum',
          }),
        }),
      );
    }
    const expression = '100 * FILL(failed, 0) / (FILL(succeeded, 0) + FILL(failed, 0))';
    expectResource(rate, withMetric({ Expression: Match.stringLikeRegexp(expression.replace(/[()*+]/g, '\\$&')) }));
  });

  it('alarms on errors and throttles of every function', () => {
    for (const name of ALL_FUNCTIONS) {
      for (const metricName of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: Match.exact([{ Name: 'FunctionName', Value: { Ref: fnId(name) } }]),
          Threshold: 1,
        });
      }
    }
  });

  it('builds a dashboard on AWS', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('outputs', () => {
  it('are exactly ApiUrl, RestApiId, StageName, TableName, QueueUrl, DlqUrl, AlarmTopicArn and Region', () => {
    const restApi = logicalIdOf(s.stack, s.stack.api.restApi);
    const stage = template.getResourceId('AWS::ApiGateway::Stage');
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
      ['AlarmTopicArn', 'ApiUrl', 'DlqUrl', 'QueueUrl', 'Region', 'RestApiId', 'StageName', 'TableName'],
    );
    const expectValue = (key: string, value: object) => template.hasOutput(key, { Value: Match.exact(value) });
    expectValue('RestApiId', { Ref: restApi });
    expectValue('StageName', { Ref: stage });
    expectValue('TableName', { Ref: tableId() });
    expectValue('QueueUrl', { Ref: queueId() });
    expectValue('DlqUrl', { Ref: dlqId() });
    // The operator CLI reads the region from the outputs file.
    expectValue('Region', { Ref: 'AWS::Region' });
    expectValue('AlarmTopicArn', { Ref: logicalIdOf(s.stack, s.stack.monitoring.createdAlarmTopic!) });
    expectValue('ApiUrl', {
      'Fn::Join': ['', ['https://', { Ref: restApi }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/v1']],
    });
  });
});
