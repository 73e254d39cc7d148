import { beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_FUNCTION, HTTP_FUNCTIONS, HTTP_ROUTES } from '#functions/routes.ts';
import { loadConfig } from '#shared/config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#shared/observability.ts';
import { createTableInput } from '#shared/store/table-schema.ts';
import {
  asList,
  logicalIdOf,
  resourcesOfType,
  statementsOfRole,
  synthesize,
  type CfnResource,
  type CfnTemplate,
  type Statement,
  type Synthesized,
} from './synth.ts';

/** The stack as `cdk synth` builds it for AWS with every default: deliverables 1 and 3 of the issue. */
let s: Synthesized;
let template: CfnTemplate;
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
const resource = (id: string): CfnResource => {
  const found = template.Resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found;
};
const props = (id: string) => resource(id).Properties ?? {};

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
    expect(resourcesOfType(template, 'AWS::ApiGateway::RestApi')).toHaveLength(1);
    const api = props(restApiId());
    expect(api.BinaryMediaTypes).toEqual(['*/*']);
    expect(api.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
  });

  it('has exactly the routes of functions/routes.ts, each a Lambda proxy integration of its function', () => {
    const methods = resourcesOfType(template, 'AWS::ApiGateway::Method').map(([, m]) => {
      const p = m.Properties ?? {};
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
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').map(([, p]) => p.Properties ?? {});
    expect(permissions).toHaveLength(HTTP_ROUTES.length);
    for (const p of permissions) {
      expect(p.Principal).toBe('apigateway.amazonaws.com');
      expect(p.Action).toBe('lambda:InvokeFunction');
      // Scoped to this API's own stage ARN, never `*`.
      expect(JSON.stringify(p.SourceArn)).toContain(restApiId());
    }
    const invoked = new Set(permissions.map((p) => JSON.stringify(p.FunctionName)));
    expect(invoked).toEqual(new Set(HTTP_FUNCTIONS.map((name) => JSON.stringify({ 'Fn::GetAtt': [fnId(name), 'Arn'] }))));
  });

  describe('stage', () => {
    const stage = () => {
      const stages = resourcesOfType(template, 'AWS::ApiGateway::Stage');
      expect(stages).toHaveLength(1);
      return stages[0]![1].Properties ?? {};
    };

    it('is named v1 and throttles every method', () => {
      expect(stage().StageName).toBe('v1');
      const settings = stage().MethodSettings as Record<string, unknown>[];
      expect(settings).toHaveLength(1);
      expect(settings[0]).toMatchObject({ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    });

    it('logs execution errors only, never request or response data', () => {
      const settings = (stage().MethodSettings as Record<string, unknown>[])[0]!;
      expect(settings.LoggingLevel).toBe('ERROR');
      expect(settings.DataTraceEnabled).toBe(false);
      expect(settings.MetricsEnabled).toBe(true);
    });

    it('writes access logs without bodies, headers (Authorization) or the query string (?token=)', () => {
      const access = stage().AccessLogSetting as { Format: string; DestinationArn: unknown };
      expect(JSON.stringify(access.DestinationArn)).toContain(logicalIdOf(s.stack, s.stack.api.accessLogGroup));
      const fields = JSON.parse(access.Format) as Record<string, string>;
      expect(Object.values(fields).every((v) => v.startsWith('$context.'))).toBe(true);
      expect(fields).toMatchObject({ requestId: '$context.requestId', status: '$context.status', resourcePath: '$context.resourcePath' });
      for (const forbidden of ['$input', 'header', 'authorization', 'querystring', 'requestOverride', '$context.path', 'body']) {
        expect(access.Format.toLowerCase()).not.toContain(forbidden.toLowerCase());
      }
      expect(props(logicalIdOf(s.stack, s.stack.api.accessLogGroup)).RetentionInDays).toBe(30);
    });

    it('has the account-wide CloudWatch role API Gateway needs for logging (AWS target)', () => {
      const accounts = resourcesOfType(template, 'AWS::ApiGateway::Account');
      expect(accounts).toHaveLength(1);
      expect(JSON.stringify(accounts[0]![1].Properties?.CloudWatchRoleArn)).toContain('CloudWatchRole');
      // Shared by every API of the account: kept when this stack goes.
      const role = resourcesOfType(template, 'AWS::IAM::Role').find(([id]) => id.includes('CloudWatchRole'));
      expect(role?.[1].DeletionPolicy).toBe('Retain');
    });
  });

  describe('API Gateway errors in the service error JSON (§2)', () => {
    const responses = () =>
      new Map(
        resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => {
          const p = r.Properties ?? {};
          const body = JSON.parse((p.ResponseTemplates as Record<string, string>)['application/json']!) as unknown;
          return [String(p.ResponseType), { status: p.StatusCode as string | undefined, body }];
        }),
      );

    it('answers an unknown route or method 404 NOT_FOUND_ERROR instead of 403 "Missing Authentication Token"', () => {
      const missing = responses().get('MISSING_AUTHENTICATION_TOKEN');
      expect(missing?.status).toBe('404');
      expect(missing?.body).toEqual({ error: { code: 'NOT_FOUND_ERROR', message: expect.stringMatching(/.+/) } });
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
      const response = responses().get(type);
      expect(response?.status).toBe(status);
      expect(response?.body).toEqual({ error: { code, message: expect.stringMatching(/.+/) } });
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
    expect(resourcesOfType(template, 'AWS::Lambda::Function')).toHaveLength(ALL_FUNCTIONS.length);
    for (const name of ALL_FUNCTIONS) {
      expect(fn(name), name).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
    }
  });

  it.each([
    ['put-webhook', 256, 10],
    ['list-keys', 256, 10],
    ['publish-message', 512, 20],
    ['health', 128, 5],
    [DELIVERY_FUNCTION, 512, 30],
  ] as const)('sizes %s at %i MB and %i s', (name, memory, timeout) => {
    expect(fn(name)).toMatchObject({ MemorySize: memory, Timeout: timeout });
  });

  it('gives delivery time for a 5 s POST plus its reads and writes, and the queue six times that', () => {
    const timeout = fn(DELIVERY_FUNCTION).Timeout as number;
    expect(timeout).toBeGreaterThanOrEqual(15);
    expect(props(queueId()).VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('logs each function to its own log group with retention, and never through Custom::LogRetention', () => {
    for (const name of ALL_FUNCTIONS) {
      expect(fn(name).LoggingConfig, name).toEqual({ LogGroup: { Ref: logGroupId(name) } });
      expect(props(logGroupId(name)).RetentionInDays, name).toBe(30);
    }
    expect(resourcesOfType(template, 'AWS::Logs::LogGroup')).toHaveLength(ALL_FUNCTIONS.length + 1);
    expect(Object.values(template.Resources).some((r) => r.Type.startsWith('Custom::'))).toBe(false);
  });

  it('configures every function through the environment shared/config.ts reads, never DEV_API_KEY', () => {
    for (const name of ALL_FUNCTIONS) {
      const vars = env(name);
      expect(vars.TABLE_NAME, name).toEqual({ Ref: tableId() });
      expect(vars, name).toMatchObject({
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        MAX_MESSAGE_BYTES: '131072',
        MAX_WEBHOOKS_PER_CACHE: '100',
        DELIVERY_RECORD_TTL_DAYS: '7',
        PUBLISH_SEND_CONCURRENCY: '8',
        DELIVERY_USER_AGENT: 'Momento/1.0 (Webhooks; +https://docs.momentohq.com/topics/webhooks)',
      });
      for (const forbidden of ['DEV_API_KEY', 'AWS_ENDPOINT_URL', 'DESTINATION_ALLOWLIST']) expect(vars, name).not.toHaveProperty(forbidden);
      // What the function would parse at cold start, resource names filled in.
      const literal = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${k}`]));
      const config = loadConfig(literal);
      expect(config.maxMessageBytes).toBe(131072);
      expect(config.destinationAllowlist).toEqual([]);
    }
  });

  it('gives the queue URL to publish only', () => {
    expect(env('publish-message').QUEUE_URL).toEqual({ Ref: queueId() });
    for (const name of ALL_FUNCTIONS.filter((n) => n !== 'publish-message')) expect(env(name), name).not.toHaveProperty('QUEUE_URL');
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
    ['put-webhook', [AUTH, 'dynamodb:PutItem table CACHE#*', 'dynamodb:Query table CACHE#*', 'dynamodb:UpdateItem table CACHE#*']],
    ['list-webhooks', [AUTH, 'dynamodb:Query table CACHE#*']],
    ['delete-webhook', [AUTH, 'dynamodb:DeleteItem table CACHE#*']],
    ['get-webhook-secret', [AUTH, 'dynamodb:GetItem table CACHE#*']],
    ['rotate-webhook-secret', [AUTH, 'dynamodb:UpdateItem table CACHE#*']],
    ['publish-message', [AUTH, 'dynamodb:Query index/byTopic -', 'dynamodb:UpdateItem table TOPIC#*']],
    ['create-key', [AUTH, 'dynamodb:PutItem table APIKEY#*']],
    ['list-keys', [AUTH, 'dynamodb:Query index/byKind -']],
    ['revoke-key', [AUTH, 'dynamodb:DeleteItem table APIKEY#*']],
    [DELIVERY_FUNCTION, ['dynamodb:BatchGetItem table CACHE#*', 'dynamodb:PutItem table DELIVERY#*', 'dynamodb:BatchWriteItem table DELIVERY#*']],
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
    expect(canReadWebhooks.sort()).toEqual(['deliver-messages', 'get-webhook-secret', 'list-webhooks', 'put-webhook']);
  });

  it('never grants a wildcard action or resource', () => {
    for (const [id, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
      for (const statement of (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement) {
        for (const action of asList(statement.Action)) expect(action, id).not.toMatch(/(^\*$|:\*$)/);
        for (const r of asList(statement.Resource as unknown[])) expect(r, id).not.toBe('*');
      }
    }
  });

  it('gives each function its own role, without managed policies, writing only its own log group', () => {
    for (const name of ALL_FUNCTIONS) {
      expect(props(fnId(name)).Role).toEqual({ 'Fn::GetAtt': [roleId(name), 'Arn'] });
      const role = props(roleId(name));
      expect(role.ManagedPolicyArns, name).toBeUndefined();
      expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
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
    expect(resourcesOfType(template, 'AWS::DynamoDB::Table')).toHaveLength(1);
    expect(table().KeySchema).toEqual(input.KeySchema);
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => String(a.AttributeName).localeCompare(String(b.AttributeName));
    expect([...(table().AttributeDefinitions as Key[])].sort(byName)).toEqual([...input.AttributeDefinitions!].sort(byName));
    const indexes = (table().GlobalSecondaryIndexes as Index[]).map(normalizeIndex).sort((a, b) => a.IndexName.localeCompare(b.IndexName));
    const expected = (input.GlobalSecondaryIndexes as Index[]).map(normalizeIndex).sort((a, b) => a.IndexName.localeCompare(b.IndexName));
    expect(indexes).toEqual(expected);
    expect(table().BillingMode).toBe(input.BillingMode);
  });

  it('is on-demand with point-in-time recovery, TTL on expiresAt and deletion protection; kept on stack deletion', () => {
    expect(table()).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(resource(tableId()).DeletionPolicy).toBe('Retain');
  });
});

describe('delivery queue', () => {
  it('sends a message to the dead-letter queue after five receives; both queues encrypted', () => {
    expect(props(queueId())).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId(), 'Arn'] }, maxReceiveCount: 5 },
      VisibilityTimeout: 180,
    });
    expect(props(dlqId())).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it('refuses any access to either queue without TLS', () => {
    for (const queue of [queueId(), dlqId()]) {
      const policy = resourcesOfType(template, 'AWS::SQS::QueuePolicy').find(([, p]) =>
        JSON.stringify(p.Properties?.Queues) === JSON.stringify([{ Ref: queue }]),
      );
      expect(policy, queue).toBeDefined();
      expect((policy![1].Properties?.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual({
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
      });
    }
  });

  it('feeds the delivery function in batches of ten with ReportBatchItemFailures and no batching window', () => {
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]![1].Properties ?? {};
    expect(mapping).toEqual({
      BatchSize: 10,
      EventSourceArn: { 'Fn::GetAtt': [queueId(), 'Arn'] },
      FunctionName: { Ref: fnId(DELIVERY_FUNCTION) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // The role's grants exist before the mapping starts polling.
    expect(mappings[0]![1].DependsOn).toContain(roleId(DELIVERY_FUNCTION));
  });
});

describe('alarms and dashboard', () => {
  const alarms = () => resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});

  it('alarms as soon as one message is in the dead-letter queue', () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId(), 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
  });

  it('alarms on the delivery failure rate computed from the metrics delivery emits', () => {
    const rate = alarms().find((a) => JSON.stringify(a.Metrics ?? '').includes('DeliveryFailed'));
    expect(rate).toBeDefined();
    expect(rate!.Threshold).toBe(10);
    const metrics = rate!.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: Record<string, unknown>; Stat: string } }[];
    const stat = (id: string) => metrics.find((m) => m.Id === id)?.MetricStat;
    for (const [id, metricName] of [['succeeded', 'DeliverySucceeded'], ['failed', 'DeliveryFailed']] as const) {
      expect(stat(id)).toEqual({
        Metric: { Namespace: METRICS_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: 'service', Value: SERVICE_NAME }] },
        Period: 300,
        Stat: 'Sum',
      });
    }
    expect(metrics.find((m) => m.Expression)?.Expression).toContain('100 * FILL(failed, 0) / (FILL(succeeded, 0) + FILL(failed, 0))');
  });

  it('alarms on errors and throttles of every function', () => {
    for (const name of ALL_FUNCTIONS) {
      for (const metricName of ['Errors', 'Throttles']) {
        expect(alarms(), `${name} ${metricName}`).toContainEqual(
          expect.objectContaining({
            Namespace: 'AWS/Lambda',
            MetricName: metricName,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId(name) } }],
            Threshold: 1,
          }),
        );
      }
    }
  });

  it('builds a dashboard on AWS', () => {
    expect(resourcesOfType(template, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
  });
});

describe('outputs', () => {
  it('are exactly ApiUrl, RestApiId, StageName, TableName, QueueUrl and DlqUrl', () => {
    const restApi = logicalIdOf(s.stack, s.stack.api.restApi);
    const stage = resourcesOfType(template, 'AWS::ApiGateway::Stage')[0]![0];
    expect(Object.keys(template.Outputs ?? {}).sort()).toEqual(['ApiUrl', 'DlqUrl', 'QueueUrl', 'RestApiId', 'StageName', 'TableName']);
    const value = (key: string) => template.Outputs?.[key]?.Value;
    expect(value('RestApiId')).toEqual({ Ref: restApi });
    expect(value('StageName')).toEqual({ Ref: stage });
    expect(value('TableName')).toEqual({ Ref: tableId() });
    expect(value('QueueUrl')).toEqual({ Ref: queueId() });
    expect(value('DlqUrl')).toEqual({ Ref: dlqId() });
    expect(value('ApiUrl')).toEqual({
      'Fn::Join': ['', ['https://', { Ref: restApi }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/v1']],
    });
  });
});
