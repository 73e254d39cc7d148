import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  indexEntry,
  indexWriteUnits,
  itemSize,
  readUnits,
  tableShape,
  tableWriteUnits,
  valueSize,
  writeUnits,
  type Item,
} from '../../../bench/lib/dynamo-capacity.ts';

/**
 * The benchmark's DynamoDB capacity arithmetic against AWS's published rules. Every expected
 * number is worked out in the comment next to it from the rule it quotes, never taken from
 * the code under test. Sources (DynamoDB Developer Guide):
 * - "DynamoDB item sizes and formats" (CapacityUnitCalculations.html)
 * - "Read/write capacity mode" / "DynamoDB throughput capacity": a read request unit per 4 KB
 *   read strongly consistently, half of one eventually consistently; a write request unit per
 *   1 KB written; sizes rounded up to the next 4 KB / 1 KB.
 * - "Using global secondary indexes: provisioned throughput considerations" (GSI.html), writes.
 */

/** An item of exactly `bytes` bytes: the name `pk` (2 bytes) plus a string of `bytes - 2` ASCII characters. */
const itemOf = (bytes: number): Item => ({ pk: 'x'.repeat(bytes - 2) });

describe('item size (Item sizes and formats)', () => {
  it('counts a string as the UTF-8 bytes of its name plus those of its value', () => {
    // 'pk' 2 + 'CACHE#abc' 9 = 11.
    expect(itemSize({ pk: 'CACHE#abc' })).toBe(11);
    // 'név' is n(1) é(2) v(1) = 4 bytes; 'café' c a f (3) é (2) = 5 bytes: 9.
    expect(itemSize({ név: 'café' })).toBe(9);
    // An emoji is 4 UTF-8 bytes: 'e' 1 + 4 = 5.
    expect(itemSize({ e: '😀' })).toBe(5);
    // The helper above: 2 + 98 = 100.
    expect(itemSize(itemOf(100))).toBe(100);
  });

  it('counts a number as 1 byte per two significant digits plus 1, leading and trailing zeroes trimmed', () => {
    // 'n' 1 + 1234 (4 digits: 2 bytes) + 1 = 4.
    expect(itemSize({ n: 1234 })).toBe(4);
    // 1000 trims to 1 significant digit (rounded up to one byte) + 1: 'n' 1 + 1 + 1 = 3, the same as 1.
    expect(itemSize({ n: 1000 })).toBe(3);
    expect(itemSize({ n: 1 })).toBe(3);
    // 0.0025 trims to 25: 1 + 1 + 1 = 3. The sign costs nothing in the formula: -12.34 → 1234: 1 + 2 + 1 = 4.
    expect(itemSize({ n: 0.0025 })).toBe(3);
    expect(itemSize({ n: -12.34 })).toBe(4);
    // A number the DocumentClient wraps to keep its 20 digits: 'big' 3 + 10 + 1 = 14.
    expect(itemSize({ big: new NumberValue('12345678901234567890') })).toBe(14);
    // DynamoDB's largest precision, 38 digits: 19 + 1 = 20 bytes of value.
    expect(valueSize(new NumberValue('12345678901234567890123456789012345678'))).toBe(20);
  });

  it('counts binary as its raw bytes, and null and booleans as 1 byte', () => {
    // 'b' 1 + 10 raw bytes (what is sent is base64, what is billed is the raw length) = 11.
    expect(itemSize({ b: new Uint8Array(10) })).toBe(11);
    expect(itemSize({ b: Buffer.from('hello') })).toBe(6);
    // 'ok' 2 + 1, 'none' 4 + 1: 8.
    expect(itemSize({ ok: true, none: null })).toBe(8);
  });

  it('counts a list or map as 3 bytes, plus 1 byte per element, plus the elements (a map entry: its name and value)', () => {
    // Empty: 'l' 1 + 3 = 4; 'm' 1 + 3 = 4.
    expect(itemSize({ l: [] })).toBe(4);
    expect(itemSize({ m: {} })).toBe(4);
    // 'l' 1 + 3 + (1 + 'ab' 2) + (1 + 'cd' 2) = 10.
    expect(itemSize({ l: ['ab', 'cd'] })).toBe(10);
    // 'm' 1 + 3 + (1 + 'a' 1 + 'xy' 2) = 8.
    expect(itemSize({ m: { a: 'xy' } })).toBe(8);
    // Nested: inner list [1, true] = 3 + (1 + 2) + (1 + 1) = 8; map entry 'l' = 1 + 1 + 8 = 10; 'm' 1 + 3 + 10 = 14.
    expect(itemSize({ m: { l: [1, true] } })).toBe(14);
  });

  // Only a real lib-dynamodb NumberValue is sized as a number: a map attribute whose only key is
  // `value` is a map (valueSize once took any such object for a NumberValue).
  it('sizes a map whose only key is `value` as a map, not as a number', () => {
    // 'meta' 4 + 3 + (1 + 'value' 5 + 'abcdef' 6) = 19. Sizing it as a number would give 7: the text 'abcdef' read as a number's digits.
    expect(itemSize({ meta: { value: 'abcdef' } })).toBe(19);
  });

  it('bills a 1.5 KB item that holds a `{ value }` map at 2 write units, not 1', () => {
    // 'pk' 2 + 'x' 1 = 3; 'payload' 7 + 3 + (1 + 'value' 5 + 1500) = 1516; item 1519 bytes → ceil(1519 / 1024) = 2 WRU.
    // Sizing the map as a 1500-digit number (751 bytes) would give 761 bytes → 1 WRU.
    expect(writeUnits(itemSize({ pk: 'x', payload: { value: 'x'.repeat(1500) } }))).toBe(2);
  });
});

describe('read request units', () => {
  it('charges 1 unit per 4 KB read strongly consistently, rounded up, and at least 1 (a missing item too)', () => {
    expect(readUnits(1, true)).toBe(1);
    // 3.5 KB rounds up to 4 KB: 1 unit.
    expect(readUnits(3584, true)).toBe(1);
    expect(readUnits(4096, true)).toBe(1);
    expect(readUnits(4097, true)).toBe(2);
    // AWS's example: an 8 KB item read strongly consistently costs 2 units.
    expect(readUnits(8192, true)).toBe(2);
    // GetItem of an item that does not exist still costs 1 unit.
    expect(readUnits(0, true)).toBe(1);
  });

  it('charges half as much eventually consistently: 0.5 unit per 4 KB, at least 0.5', () => {
    expect(readUnits(0, false)).toBe(0.5);
    expect(readUnits(4096, false)).toBe(0.5);
    expect(readUnits(4097, false)).toBe(1);
    // The 8 KB item eventually consistently: 1 unit. 10 KB → 3 × 4 KB → 1.5.
    expect(readUnits(8192, false)).toBe(1);
    expect(readUnits(10 * 1024, false)).toBe(1.5);
  });

  it('gives a Query (sizes summed, then rounded) and a BatchGetItem (each item rounded) their different costs', () => {
    // Ten 500-byte items. Query: 5000 bytes → ceil(5000 / 4096) = 2 units strongly, 1 eventually (a GSI query).
    const sizes = Array.from({ length: 10 }, () => 500);
    expect(readUnits(sizes.reduce((a, b) => a + b, 0), true)).toBe(2);
    expect(readUnits(sizes.reduce((a, b) => a + b, 0), false)).toBe(1);
    // BatchGetItem reads each as a GetItem: 10 × 1 unit strongly consistently.
    expect(sizes.map((b) => readUnits(b, true)).reduce((a, b) => a + b, 0)).toBe(10);
  });
});

describe('write request units', () => {
  it('charges 1 unit per 1 KB written, rounded up, and at least 1', () => {
    // AWS's examples: a 500-byte item 1 unit, a 3.5 KB item 4 units.
    expect(writeUnits(500)).toBe(1);
    expect(writeUnits(3584)).toBe(4);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(0)).toBe(1);
  });

  it('charges a put, update or delete by the larger of the item before and after', () => {
    // New 1.5 KB item: 2 units.
    expect(tableWriteUnits(undefined, itemOf(1536))).toBe(2);
    // Growing 900 B → 2.1 KB: max(1, ceil(2150 / 1024) = 3) = 3.
    expect(tableWriteUnits(itemOf(900), itemOf(2150))).toBe(3);
    // Shrinking 2.1 KB → 500 B is billed at the larger, the item before: 3.
    expect(tableWriteUnits(itemOf(2150), itemOf(500))).toBe(3);
    // Deleting a 2.5 KB item: ceil(2560 / 1024) = 3; deleting an item that is not there: 1.
    expect(tableWriteUnits(itemOf(2560), undefined)).toBe(3);
    expect(tableWriteUnits(undefined, undefined)).toBe(1);
  });

  it('charges a write whose condition fails by the size of the existing item, at least 1', () => {
    // The meter passes `after` undefined for a failed condition: a 2.5 KB existing item → 3; none → 1.
    expect(tableWriteUnits(itemOf(2560), undefined)).toBe(3);
    expect(tableWriteUnits(undefined, undefined)).toBe(1);
  });

  it('charges each item of a BatchWriteItem as its own PutItem', () => {
    // 25 puts of new 100-byte items: 25 × 1 unit, not ceil(2500 / 1024) = 3.
    const units = Array.from({ length: 25 }, () => tableWriteUnits(undefined, itemOf(100)));
    expect(units.reduce((a, b) => a + b, 0)).toBe(25);
  });
});

describe('global secondary index writes (GSI.html, "Provisioned throughput considerations")', () => {
  /** The project's index layout (shared/store/table-schema.ts) plus a KEYS_ONLY index, written out here. */
  const shape = tableShape({
    TableName: 't',
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byTopic',
        KeySchema: [
          { AttributeName: 'topicKey', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['webhookName', 'webhookId'] },
      },
      {
        IndexName: 'byKind',
        KeySchema: [
          { AttributeName: 'kind', KeyType: 'HASH' },
          { AttributeName: 'pk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      { IndexName: 'byOwner', KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
    ],
  });

  /**
   * A webhook item of 2078 bytes: pk 'C#1' 2+3, sk 'W#1' 2+3, topicKey 'T#a' 8+3, webhookName 'w1' 11+2,
   * webhookId 'id1' 9+3 (the 46 bytes its byTopic entry holds), postUrl 7+19, secret 6+2000.
   */
  const webhook: Item = {
    pk: 'C#1',
    sk: 'W#1',
    topicKey: 'T#a',
    webhookName: 'w1',
    webhookId: 'id1',
    postUrl: 'https://r.example/1',
    secret: 's'.repeat(2000),
  };
  /** An item in the ALL index, 1539 bytes: pk 'APIKEY#1' 2+8, sk 'APIKEY' 2+6, kind 'apikey' 4+6, description 11+1500. */
  const apiKey: Item = { pk: 'APIKEY#1', sk: 'APIKEY', kind: 'apikey', description: 'd'.repeat(1500) };

  it('reads the key attributes and projections from a CreateTable input', () => {
    expect(shape).toEqual({
      keys: ['pk', 'sk'],
      indexes: [
        { name: 'byTopic', keys: ['topicKey', 'sk'], projection: ['webhookName', 'webhookId'] },
        { name: 'byKind', keys: ['kind', 'pk'], projection: 'ALL' },
        { name: 'byOwner', keys: ['owner'], projection: 'KEYS_ONLY' },
      ],
    });
  });

  it('puts into an index the index keys, the table keys and the projected attributes only', () => {
    const byTopic = shape.indexes[0]!;
    expect(itemSize(webhook)).toBe(2078);
    expect(indexEntry(webhook, byTopic, shape)).toEqual({ pk: 'C#1', sk: 'W#1', topicKey: 'T#a', webhookName: 'w1', webhookId: 'id1' });
    expect(itemSize(indexEntry(webhook, byTopic, shape)!)).toBe(46);
    // KEYS_ONLY: owner 5+2, pk 2+3, sk 2+1 = 15 bytes, whatever else the item holds.
    const owned = { pk: 'O#1', sk: 'O', owner: 'o1', note: 'n'.repeat(3000) };
    expect(itemSize(indexEntry(owned, shape.indexes[2]!, shape)!)).toBe(15);
    // An item without the index's key attributes is not in it (sparse index).
    expect(indexEntry({ pk: 'C#1', sk: 'W#1' }, byTopic, shape)).toBeUndefined();
  });

  it('costs one write of the entry to put a new item that defines the index keys', () => {
    // Table: ceil(2078 / 1024) = 3; byTopic: the 46-byte entry = 1 (the 2000-byte secret is not projected).
    expect(tableWriteUnits(undefined, webhook)).toBe(3);
    expect(indexWriteUnits(undefined, webhook, shape)).toEqual({ byTopic: 1 });
    // In an ALL index the entry is the whole 1539-byte item: ceil(1539 / 1024) = 2.
    expect(indexWriteUnits(undefined, apiKey, shape)).toEqual({ byKind: 2 });
  });

  it('costs nothing in an index the item is in neither before nor after', () => {
    expect(indexWriteUnits({ pk: 'X', sk: 'Y', a: '1' }, { pk: 'X', sk: 'Y', a: '2' }, shape)).toEqual({});
  });

  it('costs two writes (delete + put) when an indexed key attribute changes', () => {
    // byTopic: 1 + 1. byKind: 'apikey' → 'revoked' (entry 1539 → 1540 bytes): 2 + 2.
    expect(indexWriteUnits(webhook, { ...webhook, topicKey: 'T#b' }, shape)).toEqual({ byTopic: 2 });
    expect(indexWriteUnits(apiKey, { ...apiKey, kind: 'revoked' }, shape)).toEqual({ byKind: 4 });
  });

  it('costs one write when only projected attributes change, none when only unprojected ones do', () => {
    // webhookName is projected into byTopic: 1. postUrl is not: the entry is unchanged, nothing to write.
    expect(indexWriteUnits(webhook, { ...webhook, webhookName: 'w9' }, shape)).toEqual({ byTopic: 1 });
    expect(indexWriteUnits(webhook, { ...webhook, postUrl: 'https://r.example/2' }, shape)).toEqual({});
    // ALL projects everything: a new 1500-byte description rewrites the 1539-byte entry, 2 units.
    expect(indexWriteUnits(apiKey, { ...apiKey, description: 'e'.repeat(1500) }, shape)).toEqual({ byKind: 2 });
    // KEYS_ONLY: changing `note` leaves the entry as it was.
    const owned = { pk: 'O#1', sk: 'O', owner: 'o1', note: 'a' };
    expect(indexWriteUnits(owned, { ...owned, note: 'b' }, shape)).toEqual({});
  });

  it('costs one write to remove the entry when the item loses the index key or is deleted', () => {
    const { topicKey: _removed, ...withoutTopic } = webhook;
    expect(indexWriteUnits(webhook, withoutTopic, shape)).toEqual({ byTopic: 1 });
    expect(indexWriteUnits(apiKey, undefined, shape)).toEqual({ byKind: 2 });
  });
});
