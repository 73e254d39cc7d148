import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { apiGatewayLogging, type TopicWebhooksStack } from './stack.ts';

/**
 * The cdk-nag AwsSolutions findings this stack accepts, each on the narrowest construct and
 * each with its reason. Everything else the pack finds fails synthesis.
 */
export const ACCEPTED_FINDINGS = {
  'AwsSolutions-L1':
    'Pinned to nodejs22.x on purpose: the runtime the service is built and tested for (TOOLCHAIN.md), on AWS and on LocalStack 4.14.0. A runtime upgrade is a tested change, not an automatic one.',
  'AwsSolutions-APIG2':
    'Requests are validated in the functions (shared/validation.ts) so that every failure is a 400 naming the field in the service error JSON of docs/design.md#http-api; an API Gateway request validator would answer first, in its own shape.',
  'AwsSolutions-APIG3':
    'WAF is optional (a web ACL costs about $5 a month plus its rules): associate one with -c webAclArn=ARN. Without it the API relies on API keys, stage throttling and validation in the functions.',
  'AwsSolutions-APIG4':
    'Authentication is by API key, checked in the functions by shared middleware (docs/design.md#http-api), so it behaves the same on AWS, on LocalStack (whose free image skips API Gateway authorizers) and in local mode. GET /health is public by design.',
  'AwsSolutions-COG4':
    'Clients authenticate with the service API keys (docs/design.md#http-api), not as Cognito users; see AwsSolutions-APIG4.',
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]':
    'The AWS-managed policy made for the account-wide role API Gateway writes its logs with; it allows nothing but that. Only created on request (-c apiGatewayCloudWatchRole=true, once per account and region).',
  'AwsSolutions-APIG1':
    'Access logs need the account-wide role API Gateway logs with (AWS::ApiGateway::Account), which this stack creates only on request: deploy with -c apiGatewayCloudWatchRole=true (once per account and region) or, where the account has the role, -c apiGatewayAccountHasRole=true to turn them on (docs/deploy.md). LocalStack has no such role.',
  'AwsSolutions-APIG6':
    'Execution logs need the account-wide role API Gateway logs with (AWS::ApiGateway::Account), which this stack creates only on request: deploy with -c apiGatewayCloudWatchRole=true (once per account and region) or, where the account has the role, -c apiGatewayAccountHasRole=true to turn them on (docs/deploy.md). LocalStack has no such role.',
  'AwsSolutions-SNS2':
    'The alarm topic carries only alarm state changes, no service data, and is not KMS-encrypted on purpose: CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key (alias/aws/sns, whose key policy cannot admit cloudwatch.amazonaws.com), and a customer managed key costs $1 a month plus requests. Publishing requires TLS (enforceSSL).',
} as const;

export type AcceptedFinding = keyof typeof ACCEPTED_FINDINGS;

function accept(scope: IConstruct, ...ids: AcceptedFinding[]): void {
  Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason: ACCEPTED_FINDINGS[id] })));
}

/** Records the accepted findings on the stack's constructs (cdk-nag reads them from construct metadata). */
export function suppressAcceptedFindings(stack: TopicWebhooksStack): void {
  for (const fn of Object.values(stack.functions)) accept(fn.function, 'AwsSolutions-L1');

  const restApi = stack.api.restApi;
  accept(restApi, 'AwsSolutions-APIG2');
  // Every method sits under the API's root resource.
  accept(restApi.root, 'AwsSolutions-APIG4', 'AwsSolutions-COG4');
  if (!(stack.settings.target === 'aws' && stack.settings.webAclArn)) accept(restApi.deploymentStage, 'AwsSolutions-APIG3');
  if (!apiGatewayLogging(stack.settings)) accept(restApi.deploymentStage, 'AwsSolutions-APIG1', 'AwsSolutions-APIG6');
  // cdk-nag 3.0.2's AwsSolutions pack has no SNS2 rule any more; the decision is recorded on the topic all the same.
  const alarmTopic = stack.monitoring.createdAlarmTopic;
  if (alarmTopic) accept(alarmTopic, 'AwsSolutions-SNS2');
  const cloudWatchRole = restApi.node.tryFindChild('CloudWatchRole');
  if (cloudWatchRole) {
    accept(cloudWatchRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]');
  }
}
