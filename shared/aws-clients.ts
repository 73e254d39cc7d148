import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.ts';

/**
 * The one place AWS clients are built. The endpoints come from `AWS_ENDPOINT_URL` (LocalStack)
 * or the per-service `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS` (local mode, where
 * two emulators listen on two ports), and are undefined on AWS. One builder per client, so a
 * bundle that never builds an SQS client leaves the SQS SDK out.
 */
export interface AwsClientOptions {
  /**
   * Replaces SigV4 signing. Local mode only: its emulators check that a request carries a
   * signature, not what it is, and SigV4's hashing is a fifth of each call's CPU there.
   */
  signer?: DynamoDBClientConfig['signer'];
}

type ClientConfig = Pick<Config, 'region' | 'dynamoEndpoint' | 'sqsEndpoint'>;

// No region given: the SDK's own chain decides (AWS_REGION, the profile, ...), never a default of ours.
const common = (config: ClientConfig, options: AwsClientOptions) => ({
  maxAttempts: 3,
  ...(config.region ? { region: config.region } : {}),
  ...(options.signer ? { signer: options.signer } : {}),
});

export function createDynamoClient(config: ClientConfig, options: AwsClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ ...common(config, options), endpoint: config.dynamoEndpoint }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSqsClient(config: ClientConfig, options: AwsClientOptions = {}): SQSClient {
  return new SQSClient({ ...common(config, options), endpoint: config.sqsEndpoint });
}
