import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '#shared/aws-clients.ts';
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
    private readonly clients: AwsClients,
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
        // The units follow the items read, not what the projection returns: read them whole.
        const full = { ...(input as QueryCommandInput) };
        delete full.ProjectionExpression;
        delete full.Select;
        full.ExpressionAttributeNames = usedNames(full);
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
        // Each put is metered like a PutItem (units from the item replaced and the item written).
        const requests = input.RequestItems as Record<string, { PutRequest?: { Item: Item } }[]>;
        const before = new Map<string, Item | undefined>();
        for (const [table, writes] of Object.entries(requests)) {
          for (const w of writes) if (w.PutRequest) before.set(`${table}|${JSON.stringify(this.keyOf(w.PutRequest.Item))}`, await this.read(table, this.keyOf(w.PutRequest.Item)));
        }
        const result = await next(args);
        for (const [table, writes] of Object.entries(requests)) {
          for (const w of writes) {
            if (!w.PutRequest) continue;
            const old = before.get(`${table}|${JSON.stringify(this.keyOf(w.PutRequest.Item))}`);
            tally.wru += tableWriteUnits(old, w.PutRequest.Item);
            tally.gsiWru += Object.values(indexWriteUnits(old, w.PutRequest.Item, this.shape)).reduce((a, b) => a + b, 0);
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

/** The expression attribute names still referenced once the projection is dropped (DynamoDB refuses unused ones). */
function usedNames(input: QueryCommandInput): Record<string, string> | undefined {
  if (!input.ExpressionAttributeNames) return undefined;
  const text = `${input.KeyConditionExpression ?? ''} ${input.FilterExpression ?? ''}`;
  const used = Object.entries(input.ExpressionAttributeNames).filter(([placeholder]) => text.includes(placeholder));
  return used.length ? Object.fromEntries(used) : undefined;
}
