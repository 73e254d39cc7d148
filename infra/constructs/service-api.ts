import { Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTE_NOT_FOUND_MESSAGE, type HttpFunctionName, type HttpRoute } from '#functions/routes.ts';
import type { ServiceFunction } from './service-function.ts';

/** One API Gateway-generated error, rendered as the service's own error JSON (docs/design.md#http-api). */
export interface GatewayErrorResponse {
  /** API Gateway's response type. */
  type: string;
  /** The status to answer with; omitted to keep API Gateway's own. */
  statusCode?: string;
  /** The Momento error code (docs/design.md#http-api). */
  code: string;
  message: string;
}

/**
 * Errors API Gateway answers itself, before or instead of a function, in the service's shape.
 * The first matters most: an unknown route or method on a REST API answers 403 "Missing
 * Authentication Token", which docs/design.md#http-api says must be `404 NOT_FOUND_ERROR`. Messages are fixed text:
 * API Gateway's own wording would tell a client about authorizers it does not use.
 */
export const GATEWAY_ERROR_RESPONSES: readonly GatewayErrorResponse[] = [
  { type: 'MISSING_AUTHENTICATION_TOKEN', statusCode: '404', code: 'NOT_FOUND_ERROR', message: ROUTE_NOT_FOUND_MESSAGE },
  { type: 'RESOURCE_NOT_FOUND', statusCode: '404', code: 'NOT_FOUND_ERROR', message: ROUTE_NOT_FOUND_MESSAGE },
  { type: 'UNAUTHORIZED', statusCode: '401', code: 'AUTHENTICATION_ERROR', message: 'a valid API key is required' },
  { type: 'ACCESS_DENIED', statusCode: '403', code: 'PERMISSION_ERROR', message: 'the request is not allowed' },
  { type: 'EXPIRED_TOKEN', statusCode: '403', code: 'PERMISSION_ERROR', message: 'the request is not allowed' },
  { type: 'INVALID_SIGNATURE', statusCode: '403', code: 'PERMISSION_ERROR', message: 'the request is not allowed' },
  { type: 'INVALID_API_KEY', statusCode: '403', code: 'PERMISSION_ERROR', message: 'the request is not allowed' },
  { type: 'WAF_FILTERED', statusCode: '403', code: 'PERMISSION_ERROR', message: 'the request is not allowed' },
  { type: 'BAD_REQUEST_PARAMETERS', statusCode: '400', code: 'INVALID_ARGUMENT_ERROR', message: 'the request parameters are invalid' },
  { type: 'BAD_REQUEST_BODY', statusCode: '400', code: 'INVALID_ARGUMENT_ERROR', message: 'the request body is invalid' },
  // Every media type is binary (`*/*`), so this should never happen; if it does it is the client's mistake.
  { type: 'UNSUPPORTED_MEDIA_TYPE', statusCode: '400', code: 'INVALID_ARGUMENT_ERROR', message: 'the content type is not supported' },
  { type: 'REQUEST_TOO_LARGE', statusCode: '413', code: 'LIMIT_EXCEEDED_ERROR', message: 'the request is too large' },
  { type: 'THROTTLED', statusCode: '429', code: 'LIMIT_EXCEEDED_ERROR', message: 'too many requests: slow down and retry' },
  { type: 'QUOTA_EXCEEDED', statusCode: '429', code: 'LIMIT_EXCEEDED_ERROR', message: 'too many requests: slow down and retry' },
  { type: 'DEFAULT_4XX', code: 'INVALID_ARGUMENT_ERROR', message: 'the request was rejected' },
  // docs/design.md#errors pairs INTERNAL_SERVER_ERROR with 500: a failed (502) or timed-out (504) function answers
  // 500 too, and the message tells the two apart. Among them: a publish body of more than about
  // 4.4 MB, which Lambda's 6 MB invocation limit refuses before the function can answer 413.
  { type: 'INTEGRATION_TIMEOUT', statusCode: '500', code: 'INTERNAL_SERVER_ERROR', message: 'the service did not answer in time' },
  { type: 'INTEGRATION_FAILURE', statusCode: '500', code: 'INTERNAL_SERVER_ERROR', message: 'the service could not complete the request' },
  { type: 'DEFAULT_5XX', statusCode: '500', code: 'INTERNAL_SERVER_ERROR', message: 'the service could not complete the request' },
];

/**
 * Access log fields: who called what, the outcome and timings. Never a body, a header value
 * (`Authorization`), or the query string (publish accepts the key as `?token=`).
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  requestTimeEpoch: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  errorType: '$context.error.responseType',
};

export interface ServiceApiProps {
  /** The routes of docs/design.md#http-api (`HTTP_ROUTES`). */
  readonly routes: readonly HttpRoute[];
  /** The function serving each route's `functionName`. */
  readonly functions: Readonly<Record<HttpFunctionName, ServiceFunction>>;
  readonly stageName: string;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly logRetentionDays: number;
  /** Create the account-wide CloudWatch role (`AWS::ApiGateway::Account`); never on LocalStack. */
  readonly cloudWatchRole: boolean;
  /**
   * Access and execution logs. API Gateway writes both only through the account's CloudWatch
   * role, so this is on when the stack creates that role or the account already has one.
   */
  readonly logging: boolean;
}

/**
 * The REST API (v1) of docs/design.md#http-api, built from the route list local mode also serves, so the two cannot
 * drift: one Lambda proxy integration per route, every body handed over base64-encoded
 * (`binaryMediaTypes: ['*∕*']`, so publish sees the exact bytes), stage-wide throttling, and
 * API Gateway's own errors in the service's error JSON. With `logging`: access logs without
 * bodies or credentials, and execution logs at ERROR without data tracing, each in a log group
 * of this stack with its retention; without it the stage logs nothing (`loggingLevel: OFF`).
 */
export class ServiceApi extends Construct {
  readonly restApi: RestApi;
  /** The access log group (with `logging` only). */
  readonly accessLogGroup: LogGroup | undefined;
  /** `API-Gateway-Execution-Logs_<restApiId>/<stageName>`, made here so it has a retention and goes with the stack (with `logging` only). */
  readonly executionLogGroup: LogGroup | undefined;

  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);

    const accessLogGroup = props.logging
      ? new LogGroup(this, 'AccessLogs', {
          retention: props.logRetentionDays as RetentionDays,
          removalPolicy: RemovalPolicy.DESTROY,
        })
      : undefined;
    this.accessLogGroup = accessLogGroup;

    this.restApi = new RestApi(this, 'RestApi', {
      // The stack's name, as the ApiName dimension of the API's metrics: two stacks in one account do not mix.
      restApiName: Stack.of(this).stackName,
      description: 'Topic webhooks: the HTTP API of a self-hostable, Momento-compatible webhook service',
      endpointTypes: [EndpointType.REGIONAL],
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: props.cloudWatchRole,
      // The role is account-wide: another API in the account may rely on it after this stack is gone.
      cloudWatchRoleRemovalPolicy: props.cloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        // ERROR, never INFO with data tracing: those would log request bodies and headers.
        loggingLevel: props.logging ? MethodLoggingLevel.ERROR : MethodLoggingLevel.OFF,
        dataTraceEnabled: false,
        metricsEnabled: true,
        accessLogDestination: accessLogGroup ? new LogGroupLogDestination(accessLogGroup) : undefined,
        accessLogFormat: accessLogGroup ? AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)) : undefined,
      },
    });
    // Outputs are the stack's to name (ApiUrl); drop the construct's automatic "Endpoint" output.
    this.restApi.node.tryRemoveChild('Endpoint');

    if (props.logging) {
      // API Gateway would create this group itself, without retention, and keep it after the stack.
      this.executionLogGroup = new LogGroup(this, 'ExecutionLogs', {
        logGroupName: Fn.join('', ['API-Gateway-Execution-Logs_', this.restApi.restApiId, '/', props.stageName]),
        retention: props.logRetentionDays as RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Before the stage exists nothing logs, so the group cannot have been created by API Gateway first.
      this.restApi.deploymentStage.node.addDependency(this.executionLogGroup);
    }

    const integrations = new Map<HttpFunctionName, LambdaIntegration>();
    for (const route of props.routes) {
      let integration = integrations.get(route.functionName);
      if (!integration) {
        // No test-invoke permissions: the console's test button is not worth a second grant per method.
        integration = new LambdaIntegration(props.functions[route.functionName].function, { proxy: true, allowTestInvoke: false });
        integrations.set(route.functionName, integration);
      }
      this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration);
    }

    for (const response of GATEWAY_ERROR_RESPONSES) {
      this.restApi.addGatewayResponse(response.type, {
        type: ResponseType.of(response.type),
        statusCode: response.statusCode,
        templates: {
          'application/json': JSON.stringify({ error: { code: response.code, message: response.message } }),
        },
      });
    }
  }
}
