import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsMeter, type MeteredClients } from '../../../bench/lib/aws-meter.ts';
import type { Item } from '../../../bench/lib/dynamo-capacity.ts';

/**
 * What the benchmark's meter bills for each DynamoDB and SQS call, against AWS's published
 * rules; every expected number is worked out in the comment next to it. No emulator: each
 * client is a stand-in with the middleware stack the meter hooks into, the service's answer
 * is scripted per call, and the meter's own reads (the items before and after a write, the
 * whole items a Query reads) are answered from an in-memory table.
 * Sources: DynamoDB Developer Guide (item sizes, capacity units; BatchWriteItem and
 * BatchGetItem process each item as an individual PutItem/DeleteItem/GetItem); Amazon SQS
 * pricing ("each 64 KB chunk of a payload is billed as 1 request": a 256 KB payload is 4).
 */

type Args = { input: Record<string, unknown> };
type Next = (args: Args) => Promise<{ output: Record<string, unknown> }>;
type Middleware = (next: Next, context: { commandName?: string }) => Next;
type Service = (input: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** A client the meter can hook: `call` sends one command through its middleware to `service`. */
function fakeClient() {
  let middleware: Middleware | undefined;
  return {
    middlewareStack: {
      add: (mw: Middleware) => {
        middleware = mw;
      },
    },
    call(command: string, input: Record<string, unknown>, service: Service = () => ({})) {
      return middleware!(async (args) => ({ output: await service(args.input) }), { commandName: `${command}Command` })({ input });
    },
  };
}

/** An item of exactly `bytes` bytes with this sort key: pk 'P' (2 + 1), sk (2 + its length), `data` (4 + the rest). */
const itemOf = (sk: string, bytes: number): Item => ({ pk: 'P', sk, data: 'x'.repeat(bytes - 3 - (2 + sk.length) - 4) });
const id = (key: Item) => `${String(key.pk)}|${String(key.sk)}`;

let dynamo: ReturnType<typeof fakeClient>;
let sqs: ReturnType<typeof fakeClient>;
let meter: AwsMeter;
/** The table the meter's own reads see (the service's writes are applied to it by the scripted services). */
let table: Map<string, Item>;
/** What the meter's own Query asked for, and what it is answered. */
let sideQueries: Record<string, unknown>[];
let queryAnswer: (input: Record<string, unknown>) => Item[];

beforeEach(() => {
  dynamo = fakeClient();
  sqs = fakeClient();
  table = new Map();
  sideQueries = [];
  queryAnswer = () => [];
  meter = new AwsMeter({ dynamo, sqs } as unknown as MeteredClients, { dynamoEndpoint: 'http://127.0.0.1:9', region: 'us-east-1', tableName: 't' });
  // The meter reads items through a client of its own; answer those reads from `table` instead.
  const internals = meter as unknown as { side: { send(command: unknown): Promise<unknown>; destroy(): void } };
  internals.side.destroy();
  internals.side = {
    async send(command: unknown) {
      if (command instanceof GetCommand) return { Item: table.get(id(command.input.Key!)) };
      if (command instanceof QueryCommand) {
        sideQueries.push({ ...command.input });
        return { Items: queryAnswer({ ...command.input }) };
      }
      throw new Error('unexpected side call');
    },
    destroy() {},
  };
  meter.start();
});

const put = (item: Item) => table.set(id(item), item);
const dynamoTally = (op: string) => meter.stop().dynamo[op];
const sqsTally = (op: string) => meter.stop().sqs[op];

describe('DynamoDB writes', () => {
  it('bills PutItem by the larger of the item replaced and the item written', async () => {
    // New 1.5 KB item: ceil(1536 / 1024) = 2.
    await dynamo.call('PutItem', { TableName: 't', Item: itemOf('a', 1536) }, (input) => (put(input.Item as Item), {}));
    // Replacing a 2.5 KB item with a 500-byte one: max(3, 1) = 3.
    put(itemOf('b', 2560));
    await dynamo.call('PutItem', { TableName: 't', Item: itemOf('b', 500) }, (input) => (put(input.Item as Item), {}));
    expect(dynamoTally('PutItem')).toEqual({ calls: 2, rru: 0, wru: 5, gsiWru: 0, conditionalFailures: 0 });
  });

  it('bills a write whose condition fails by the size of the existing item, and no index write', async () => {
    put(itemOf('a', 2560));
    const refuse = () => {
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    };
    await expect(dynamo.call('PutItem', { TableName: 't', Item: itemOf('a', 100), ConditionExpression: 'attribute_not_exists(pk)' }, refuse)).rejects.toThrow(
      /conditional/,
    );
    // Existing 2.5 KB item: 3. An update of an item that is not there, refused: the minimum, 1.
    await expect(dynamo.call('UpdateItem', { TableName: 't', Key: { pk: 'P', sk: 'none' } }, refuse)).rejects.toThrow(/conditional/);
    expect(dynamoTally('PutItem')).toEqual({ calls: 1, rru: 0, wru: 3, gsiWru: 0, conditionalFailures: 1 });
    expect(meter.stop().dynamo.UpdateItem).toEqual({ calls: 1, rru: 0, wru: 1, gsiWru: 0, conditionalFailures: 1 });
  });

  it('bills UpdateItem by the larger of the item before and after, DeleteItem by the item deleted', async () => {
    put(itemOf('a', 900));
    // 900 B → 2.1 KB: max(1, ceil(2150 / 1024) = 3) = 3.
    await dynamo.call('UpdateItem', { TableName: 't', Key: { pk: 'P', sk: 'a' } }, () => (put(itemOf('a', 2150)), {}));
    // Deleting the 2.1 KB item: 3; deleting an item that is not there: 1.
    await dynamo.call('DeleteItem', { TableName: 't', Key: { pk: 'P', sk: 'a' } }, () => (table.delete('P|a'), {}));
    await dynamo.call('DeleteItem', { TableName: 't', Key: { pk: 'P', sk: 'gone' } });
    expect(meter.stop().dynamo).toMatchObject({ UpdateItem: { calls: 1, wru: 3 }, DeleteItem: { calls: 2, wru: 4 } });
  });

  it('adds the index writes of the GSI entry a put creates (the fan-out index projects two attributes)', async () => {
    // The project's byTopic index (shared/store/table-schema.ts): keys topicKey and sk, projecting webhookName and webhookId.
    // Its entry: pk 2+1, sk 2+1, topicKey 8+1, webhookName 11+1, webhookId 9+1 = 37 bytes → 1 write; the secret is not
    // projected. The item: 37 + 'secret' 6 + 3000 = 3043 bytes → ceil(3043 / 1024) = 3 table writes. No `kind`: not in byKind.
    const webhook = { pk: 'P', sk: 'w', topicKey: 'T', webhookName: 'n', webhookId: 'i', secret: 's'.repeat(3000) };
    await dynamo.call('PutItem', { TableName: 't', Item: webhook }, (input) => (put(input.Item as Item), {}));
    expect(dynamoTally('PutItem')).toMatchObject({ wru: 3, gsiWru: 1 });
  });

  it('bills each item of a BatchWriteItem as its own PutItem', async () => {
    // 24 new 100-byte items (1 each) and one that replaces a 2.5 KB item (3): 27, not ceil(25 × 100 / 1024) = 3.
    put(itemOf('k24', 2560));
    const items = Array.from({ length: 25 }, (_, i) => itemOf(`k${i}`, 100));
    await dynamo.call('BatchWriteItem', { RequestItems: { t: items.map((Item) => ({ PutRequest: { Item } })) } }, () => {
      for (const item of items) put(item);
      return {};
    });
    expect(dynamoTally('BatchWriteItem')).toEqual({ calls: 1, rru: 0, wru: 27, gsiWru: 0, conditionalFailures: 0 });
  });

  // A DeleteRequest is billed as a DeleteItem: the size of the item deleted, at least 1 unit,
  // plus the removal of its index entries (the meter once skipped it and billed 0).
  it('bills a DeleteRequest in a BatchWriteItem like a DeleteItem', async () => {
    put(itemOf('a', 2560));
    // Deleting the 2.5 KB item: ceil(2560 / 1024) = 3.
    await dynamo.call('BatchWriteItem', { RequestItems: { t: [{ DeleteRequest: { Key: { pk: 'P', sk: 'a' } } }] } }, () => (table.delete('P|a'), {}));
    expect(dynamoTally('BatchWriteItem')?.wru).toBe(3);
  });

  // Puts DynamoDB hands back in UnprocessedItems wrote nothing and cost nothing; they are billed
  // when the caller retries them (the meter once billed them on both calls).
  it('bills only the puts DynamoDB processed, not those it returned unprocessed', async () => {
    const [done, left] = [itemOf('a', 100), itemOf('b', 100)];
    await dynamo.call('BatchWriteItem', { RequestItems: { t: [{ PutRequest: { Item: done } }, { PutRequest: { Item: left } }] } }, () => {
      put(done);
      return { UnprocessedItems: { t: [{ PutRequest: { Item: left } }] } };
    });
    // One 100-byte item written: 1.
    expect(dynamoTally('BatchWriteItem')?.wru).toBe(1);
  });
});

describe('DynamoDB reads', () => {
  it('bills GetItem per 4 KB of the whole item whatever the projection, half for an eventually consistent read', async () => {
    put(itemOf('a', 5000));
    // 5000 B → 2 × 4 KB: 2 strongly consistently (projection or not), 1 eventually; a missing item strongly: 1.
    await dynamo.call('GetItem', { TableName: 't', Key: { pk: 'P', sk: 'a' }, ConsistentRead: true }, () => ({ Item: table.get('P|a') }));
    await dynamo.call('GetItem', { TableName: 't', Key: { pk: 'P', sk: 'a' }, ConsistentRead: true, ProjectionExpression: 'pk' }, () => ({ Item: { pk: 'P' } }));
    await dynamo.call('GetItem', { TableName: 't', Key: { pk: 'P', sk: 'a' } }, () => ({ Item: table.get('P|a') }));
    await dynamo.call('GetItem', { TableName: 't', Key: { pk: 'P', sk: 'none' }, ConsistentRead: true }, () => ({}));
    expect(dynamoTally('GetItem')).toMatchObject({ calls: 4, rru: 2 + 2 + 1 + 1 });
  });

  it('bills BatchGetItem item by item, a missing item at the minimum, unprocessed keys not at all', async () => {
    for (const item of [itemOf('a', 500), itemOf('b', 5000), itemOf('c', 100)]) put(item);
    const keys = ['a', 'b', 'none', 'c'].map((sk) => ({ pk: 'P', sk }));
    await dynamo.call('BatchGetItem', { RequestItems: { t: { Keys: keys, ConsistentRead: true } } }, () => ({
      Responses: { t: [table.get('P|a'), table.get('P|b')] },
      UnprocessedKeys: { t: { Keys: [{ pk: 'P', sk: 'c' }] } },
    }));
    // Strongly consistent: a 500 B → 1, b 5000 B → 2, none → 1, c unprocessed → 0: 4.
    expect(dynamoTally('BatchGetItem')).toMatchObject({ calls: 1, rru: 4 });
  });

  it('bills a Query by the sum of the items it reads, rounded up once, whatever it projects; a GSI query eventually consistently', async () => {
    // Ten 500-byte items: 5000 B → ceil(5000 / 4096) = 2 units strongly, 1 unit on an index.
    const items = Array.from({ length: 10 }, (_, i) => itemOf(`q${i}`, 500));
    queryAnswer = () => items;
    const query = { TableName: 't', KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': 'pk', '#n': 'name' }, ExpressionAttributeValues: { ':pk': 'P' } };
    await dynamo.call('Query', { ...query, ConsistentRead: true, ProjectionExpression: '#n', Select: 'SPECIFIC_ATTRIBUTES' }, () => ({ Items: [] }));
    await dynamo.call('Query', { ...query, IndexName: 'byTopic' }, () => ({ Items: [] }));
    expect(dynamoTally('Query')).toMatchObject({ calls: 2, rru: 2 + 1 });
    // The meter read the whole items: no projection, no Select, and only the names its key condition still uses.
    expect(sideQueries[0]).not.toHaveProperty('ProjectionExpression');
    expect(sideQueries[0]).not.toHaveProperty('Select');
    expect(sideQueries[0]!.ExpressionAttributeNames).toEqual({ '#pk': 'pk' });
  });

  // DynamoDB bills every item a Query read before filtering, not the items the filter lets
  // through: the meter's own Query drops the FilterExpression (it once kept it).
  it('bills a filtered Query by the items read before the filter', async () => {
    const items = Array.from({ length: 10 }, (_, i) => itemOf(`q${i}`, 500));
    // Answer as DynamoDB would: a filter on `sk = q0` returns one item out of the ten read.
    queryAnswer = (input) => (input.FilterExpression ? items.slice(0, 1) : items);
    await dynamo.call(
      'Query',
      {
        TableName: 't',
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'sk = :sk',
        ExpressionAttributeValues: { ':pk': 'P', ':sk': 'q0' },
        ConsistentRead: true,
      },
      () => ({ Items: items.slice(0, 1) }),
    );
    // Ten 500-byte items read: 5000 B → 2 units (billing the one item returned would give 1).
    expect(dynamoTally('Query')?.rru).toBe(2);
  });

  it('counts nothing outside the metered window', async () => {
    meter.stop();
    put(itemOf('a', 100));
    await dynamo.call('GetItem', { TableName: 't', Key: { pk: 'P', sk: 'a' }, ConsistentRead: true }, () => ({ Item: table.get('P|a') }));
    expect(meter.stop().dynamo).toEqual({});
  });
});

describe('SQS requests: one per 64 KiB chunk of payload', () => {
  const body = (bytes: number) => 'b'.repeat(bytes);

  it('bills a message by its body in 64 KiB (65,536-byte) chunks, at least one request', async () => {
    await sqs.call('SendMessage', { MessageBody: body(1) });
    // Exactly 64 KiB: 1. One byte more: 2. 256 KiB, AWS's own example: 4.
    await sqs.call('SendMessage', { MessageBody: body(65_536) });
    await sqs.call('SendMessage', { MessageBody: body(65_537) });
    await sqs.call('SendMessage', { MessageBody: body(262_144) });
    expect(sqsTally('SendMessage')).toEqual({ calls: 4, billedRequests: 1 + 1 + 2 + 4, messages: 4, payloadBytes: 1 + 65_536 + 65_537 + 262_144, emptyReceives: 0 });
  });

  it('counts message attributes (name, type and value) in the payload', async () => {
    // 60,000 + 'traceparent' 11 + 'String' 6 + 6,000 = 66,017 bytes > 65,536: 2 requests.
    await sqs.call('SendMessage', { MessageBody: body(60_000), MessageAttributes: { traceparent: { DataType: 'String', StringValue: 'v'.repeat(6_000) } } });
    expect(sqsTally('SendMessage')).toMatchObject({ billedRequests: 2, payloadBytes: 66_017 });
  });

  it('bills a batch by its total payload: ten 10,000-byte messages are 2 requests, not 10', async () => {
    // 10 × 10,000 = 100,000 bytes → ceil(100,000 / 65,536) = 2.
    await sqs.call('SendMessageBatch', { Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: body(10_000) })) });
    expect(sqsTally('SendMessageBatch')).toEqual({ calls: 1, billedRequests: 2, messages: 10, payloadBytes: 100_000, emptyReceives: 0 });
  });

  it('bills every receive, an empty one too, by the payload it returns; a delete batch as one request', async () => {
    await sqs.call('ReceiveMessage', { QueueUrl: 'q' }, () => ({ Messages: [] }));
    // Three 30,000-byte messages: 90,000 bytes → 2.
    await sqs.call('ReceiveMessage', { QueueUrl: 'q' }, () => ({ Messages: [1, 2, 3].map(() => ({ Body: body(30_000) })) }));
    await sqs.call('DeleteMessageBatch', { QueueUrl: 'q', Entries: [{ Id: '1', ReceiptHandle: 'r' }] });
    const { ReceiveMessage, DeleteMessageBatch } = meter.stop().sqs;
    expect(ReceiveMessage).toEqual({ calls: 2, billedRequests: 1 + 2, messages: 3, payloadBytes: 90_000, emptyReceives: 1 });
    expect(DeleteMessageBatch).toMatchObject({ calls: 1, billedRequests: 1 });
  });

  it('counts nothing that completes outside the metered window', async () => {
    meter.stop();
    await sqs.call('SendMessage', { MessageBody: body(10) });
    expect(meter.stop().sqs).toEqual({});
  });
});
