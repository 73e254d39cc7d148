import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.ts';

/**
 * The one place AWS clients are built. The endpoints come from `AWS_ENDPOINT_URL` (LocalStack)
 * or the per-service `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS` (local mode, where
 * two emulators listen on two ports), and are undefined on AWS.
 */
export interface AwsClients {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
}

export interface AwsClientOptions {
  /**
   * Replaces SigV4 signing. Local mode only: its emulators check that a request carries a
   * signature, not what it is, and SigV4's hashing is a fifth of each call's CPU there.
   */
  signer?: DynamoDBClientConfig['signer'];
}

export function createAwsClients(
  config: Pick<Config, 'region' | 'dynamoEndpoint' | 'sqsEndpoint'>,
  options: AwsClientOptions = {},
): AwsClients {
  const common = { region: config.region, maxAttempts: 3, ...(options.signer ? { signer: options.signer } : {}) };
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...common, endpoint: config.dynamoEndpoint }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return { dynamo, sqs: new SQSClient({ ...common, endpoint: config.sqsEndpoint }) };
}
