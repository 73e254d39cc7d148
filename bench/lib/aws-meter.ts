import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createTableInput } from '#shared/store/table-schema.ts';
import {
  indexWriteUnits,
  itemSize,
  readUnits,
  tableShape,
  tableWriteUnits,
  type Item,
  type TableShape,
} from './dynamo-capacity.ts';


/** The clients the meter watches: local mode's own. */
export interface MeteredClients {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
}

/** What one DynamoDB operation cost over a metered window. */
export interface DynamoTally {
  calls: number;
  /** Read request units (on-demand) = read capacity units. */
  rru: number;
  /** Write request units on the table. */
  wru: number;
  /** Write request units in global secondary indexes. */
  gsiWru: number;
  conditionalFailures: number;
}

/** What one SQS action cost: calls, and billed requests (each 64 KiB chunk of payload is one). */
export interface SqsTally {
  calls: number;
  billedRequests: number;
  messages: number;
  payloadBytes: number;
  emptyReceives: number;
}

type Args = { input: Record<string, unknown> };
type Next = (args: Args) => Promise<{ output: Record<string, unknown> }>;
type Context = { commandName?: string };

const SQS_CHUNK = 64 * 1024;

/**
 * Counts the AWS calls of the service's own SDK clients and what DynamoDB and SQS bill for
 * them, through a middleware on the runtime's clients (the `initialize` step, where inputs and
 * outputs are the DocumentClient's native values). DynamoDB's rules need the items before and
 * after each write and the full items a Query reads whatever its projection returns; the
 * meter reads those itself through a client of its own, which is why metering runs separately
 * from the throughput measurements.
 */
export class AwsMeter {
  dynamo = new Map<string, DynamoTally>();
  sqs = new Map<string, SqsTally>();
  private readonly side: DynamoDBDocumentClient;
  private readonly shape: TableShape;
  private active = false;

  constructor(
    private readonly clients: MeteredClients,
    options: { dynamoEndpoint: string; region: string; tableName: string },
  ) {
    this.side = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: options.region,
        endpoint: options.dynamoEndpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    this.shape = tableShape(createTableInput(options.tableName));
    const add = <C extends { middlewareStack: { add: (...a: never[]) => unknown } }>(client: C, mw: (next: Next, context: Context) => Next) =>
      (client.middlewareStack.add as unknown as (m: unknown, o: unknown) => void)(mw, {
        step: 'initialize',
        name: 'benchAwsMeter',
        priority: 'high',
      });
    add(clients.dynamo, (next, context) => (args) => (this.active ? this.meterDynamo(next, args, opName(context)) : next(args)));
    // SQS calls count when they complete within the window: a long poll begun before it that
    // returns messages during it is part of the delivery path being metered.
    add(clients.sqs, (next, context) => (args) => this.meterSqs(next, args, opName(context)));
  }

  /** Starts counting from zero. */
  start(): void {
    this.dynamo = new Map();
    this.sqs = new Map();
    this.active = true;
  }

  /** Stops counting and returns what was counted. */
  stop(): { dynamo: Record<string, DynamoTally>; sqs: Record<string, SqsTally> } {
    this.active = false;
    return { dynamo: structuredClone(Object.fromEntries(this.dynamo)), sqs: structuredClone(Object.fromEntries(this.sqs)) };
  }

  close(): void {
    this.side.destroy();
  }

  private tallyDynamo(op: string): DynamoTally {
    let t = this.dynamo.get(op);
    if (!t) this.dynamo.set(op, (t = { calls: 0, rru: 0, wru: 0, gsiWru: 0, conditionalFailures: 0 }));
    return t;
  }

  private tallySqs(op: string): SqsTally {
    let t = this.sqs.get(op);
    if (!t) this.sqs.set(op, (t = { calls: 0, billedRequests: 0, messages: 0, payloadBytes: 0, emptyReceives: 0 }));
    return t;
  }

  private keyOf(item: Item): Item {
    return Object.fromEntries(this.shape.keys.map((k) => [k, item[k]]));
  }

  private async read(tableName: string, key: Item): Promise<Item | undefined> {
    const out = await this.side.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  private async meterDynamo(next: Next, args: Args, op: string) {
    const input = args.input;
    const tally = this.tallyDynamo(op);
    tally.calls++;
    const tableName = String(input.TableName ?? '');
    switch (op) {
      case 'GetItem': {
        const result = await next(args);
        const item = input.ProjectionExpression ? await this.read(tableName, input.Key as Item) : (result.output.Item as Item | undefined);
        tally.rru += readUnits(item ? itemSize(item) : 0, input.ConsistentRead === true);
        return result;
      }
      case 'BatchGetItem': {
        const result = await next(args);
        const requested = input.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean; ProjectionExpression?: string }>;
        const responses = (result.output.Responses ?? {}) as Record<string, Item[]>;
        const unprocessed = (result.output.UnprocessedKeys ?? {}) as Record<string, { Keys?: Item[] }>;
        for (const [table, request] of Object.entries(requested)) {
          const found = new Map((responses[table] ?? []).map((item) => [JSON.stringify(this.keyOf(item)), item]));
          const skipped = new Set((unprocessed[table]?.Keys ?? []).map((k) => JSON.stringify(this.keyOf(k))));
          for (const key of request.Keys) {
            const id = JSON.stringify(this.keyOf(key));
            if (skipped.has(id)) continue;
            const item = request.ProjectionExpression ? await this.read(table, key) : found.get(id);
            // Each item is rounded up on its own; a missing one costs the minimum.
            tally.rru += readUnits(item ? itemSize(item) : 0, request.ConsistentRead === true);
          }
        }
        return result;
      }
      case 'Query': {
        const result = await next(args);
        // The units follow the items read, not what the projection returns nor what the filter
        // lets through (DynamoDB filters after reading, and bills the reading): read them whole,
        // unfiltered. Limit stays, as it bounds the items read before the filter too.
        const full = { ...(input as QueryCommandInput) };
        delete full.ProjectionExpression;
        delete full.Select;
        delete full.FilterExpression;
        full.ExpressionAttributeNames = usedPlaceholders(full, full.ExpressionAttributeNames);
        full.ExpressionAttributeValues = usedPlaceholders(full, full.ExpressionAttributeValues);
        const out = await this.side.send(new QueryCommand(full));
        const bytes = (out.Items ?? []).reduce((sum, item) => sum + itemSize(item), 0);
        const consistent = input.IndexName === undefined && input.ConsistentRead === true;
        tally.rru += readUnits(bytes, consistent);
        return result;
      }
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem': {
        const key = op === 'PutItem' ? this.keyOf(input.Item as Item) : (input.Key as Item);
        const before = await this.read(tableName, key);
        try {
          const result = await next(args);
          const after = op === 'DeleteItem' ? undefined : op === 'PutItem' ? (input.Item as Item) : await this.read(tableName, key);
          tally.wru += tableWriteUnits(before, after);
          tally.gsiWru += Object.values(indexWriteUnits(before, after, this.shape)).reduce((a, b) => a + b, 0);
          return result;
        } catch (error) {
          if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
            tally.conditionalFailures++;
            tally.wru += tableWriteUnits(before, undefined);
          }
          throw error;
        }
      }
      case 'BatchWriteItem': {
        // Each request is metered as its own PutItem or DeleteItem (units from the item before
        // and the item after), and only if DynamoDB processed it: the requests it hands back in
        // UnprocessedItems wrote nothing, and are billed when the caller retries them.
        type WriteRequest = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };
        const requests = input.RequestItems as Record<string, WriteRequest[]>;
        const keyOfWrite = (w: WriteRequest) => (w.PutRequest ? this.keyOf(w.PutRequest.Item) : w.DeleteRequest ? this.keyOf(w.DeleteRequest.Key) : undefined);
        const before = new Map<string, Item | undefined>();
        for (const [table, writes] of Object.entries(requests)) {
          for (const w of writes) {
            const key = keyOfWrite(w);
            if (key) before.set(`${table}|${JSON.stringify(key)}`, await this.read(table, key));
          }
        }
        const result = await next(args);
        const unprocessed = new Set<string>();
        for (const [table, writes] of Object.entries((result.output.UnprocessedItems ?? {}) as Record<string, WriteRequest[]>)) {
          for (const w of writes) {
            const key = keyOfWrite(w);
            if (key) unprocessed.add(`${table}|${JSON.stringify(key)}`);
          }
        }
        for (const [table, writes] of Object.entries(requests)) {
          for (const w of writes) {
            const key = keyOfWrite(w);
            if (!key) continue;
            const id = `${table}|${JSON.stringify(key)}`;
            if (unprocessed.has(id)) continue;
            const old = before.get(id);
            // A delete: the item deleted (at least 1), and the removal of its index entries.
            const after = w.PutRequest ? w.PutRequest.Item : undefined;
            tally.wru += tableWriteUnits(old, after);
            tally.gsiWru += Object.values(indexWriteUnits(old, after, this.shape)).reduce((a, b) => a + b, 0);
          }
        }
        return result;
      }
      default:
        return next(args);
    }
  }

  private async meterSqs(next: Next, args: Args, op: string) {
    const result = await next(args);
    if (!this.active) return result;
    const tally = this.tallySqs(op);
    tally.calls++;
    const input = args.input;
    let bytes = 0;
    if (op === 'SendMessageBatch') {
      const entries = (input.Entries ?? []) as { MessageBody?: string; MessageAttributes?: unknown }[];
      tally.messages += entries.length;
      for (const e of entries) bytes += Buffer.byteLength(e.MessageBody ?? '') + attributesBytes(e.MessageAttributes);
    } else if (op === 'SendMessage') {
      tally.messages++;
      bytes += Buffer.byteLength(String(input.MessageBody ?? '')) + attributesBytes(input.MessageAttributes);
    } else if (op === 'ReceiveMessage') {
      const messages = (result.output.Messages ?? []) as { Body?: string; MessageAttributes?: unknown }[];
      tally.messages += messages.length;
      if (messages.length === 0) tally.emptyReceives++;
      for (const m of messages) bytes += Buffer.byteLength(m.Body ?? '') + attributesBytes(m.MessageAttributes);
    }
    tally.payloadBytes += bytes;
    tally.billedRequests += Math.max(1, Math.ceil(bytes / SQS_CHUNK));
    return result;
  }
}

const opName = (context: Context) => (context.commandName ?? 'Unknown').replace(/Command$/, '');

/** Message attributes count towards the billed payload: names, types and values. */
function attributesBytes(attributes: unknown): number {
  if (!attributes || typeof attributes !== 'object') return 0;
  let bytes = 0;
  for (const [name, v] of Object.entries(attributes as Record<string, { DataType?: string; StringValue?: string; BinaryValue?: Uint8Array }>)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? '') + (v.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}

/**
 * The expression attribute names or values still referenced once the projection and the filter
 * are dropped (DynamoDB refuses unused ones). Placeholders are matched whole: `#n` is not used
 * by `#name`.
 */
function usedPlaceholders<T>(input: QueryCommandInput, placeholders: Record<string, T> | undefined): Record<string, T> | undefined {
  if (!placeholders) return undefined;
  const referenced = new Set(`${input.KeyConditionExpression ?? ''} ${input.FilterExpression ?? ''}`.match(/[#:][A-Za-z0-9_]+/g) ?? []);
  const used = Object.entries(placeholders).filter(([placeholder]) => referenced.has(placeholder));
  return used.length ? Object.fromEntries(used) : undefined;
}
