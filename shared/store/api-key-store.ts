import { DeleteCommand, GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, ApiKeyRepository, Permission } from '../auth/model.ts';
import { TABLE_KEYS } from './table-schema.ts';
import { apiKeyKey } from './keys.ts';
import { conditionalWrite } from './dynamo-helpers.ts';

const KIND = 'APIKEY';

/** DynamoDB adapter for API keys (pk = key id derived from the key's hash; listed through a sparse index). */
export class ApiKeyStore implements ApiKeyRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(record: ApiKeyRecord): Promise<void> {
    const out = await conditionalWrite(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...apiKeyKey(record.keyId), kind: KIND, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    // 96 bits of a SHA-256 of 256 random bits: a collision means a broken random source.
    if (!out) throw new Error('API key id collision');
  }

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: apiKeyKey(keyId), ConsistentRead: true }),
    );
    return toRecord(out.Item);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: TABLE_KEYS.keyIndex.name,
        KeyConditionExpression: 'kind = :kind',
        ExpressionAttributeValues: { ':kind': KIND },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) records.push(toRecord(item)!);
    return records;
  }

  async delete(keyId: string): Promise<boolean> {
    const out = await this.db.send(
      new DeleteCommand({ TableName: this.tableName, Key: apiKeyKey(keyId), ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}

function toRecord(item: Record<string, unknown> | undefined): ApiKeyRecord | undefined {
  if (!item) return undefined;
  return {
    keyId: String(item.keyId),
    keyHash: String(item.keyHash),
    permissions: (item.permissions as Permission[]) ?? [],
    caches: (item.caches as string[]) ?? [],
    tokenId: typeof item.tokenId === 'string' ? item.tokenId : null,
    expiresAt: typeof item.expiresAt === 'number' ? item.expiresAt : null,
    createdAt: Number(item.createdAt),
  };
}
