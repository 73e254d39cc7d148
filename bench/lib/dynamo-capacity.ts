import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { NumberValue } from '@aws-sdk/lib-dynamodb';

/**
 * DynamoDB's capacity rules, applied to items as the DocumentClient sees them (native values).
 * Sources: DynamoDB Developer Guide, "Item sizes and formats", "Read/write capacity unit
 * consumption" and "Global secondary indexes: throughput considerations".
 * - Item size: each attribute's name (UTF-8 bytes) plus its value: strings UTF-8 bytes,
 *   numbers ~1 byte per two significant digits + 1, binary its length, null/boolean 1,
 *   lists/maps 3 bytes + 1 per element + the elements (map keys count as names).
 * - Reads: 1 RRU per 4 KB read strongly consistently, 0.5 eventually consistently (GSIs are
 *   always eventually consistent). GetItem/BatchGetItem round each item up separately, and a
 *   missing item still costs the minimum; Query rounds the sum of the items it reads, with a
 *   minimum of one unit, whatever the projection returns.
 * - Writes: 1 WRU per 1 KB of the larger of the item before and after; a failed condition
 *   still costs the size of the existing item (at least 1). Each GSI the write touches costs
 *   its own writes: putting an entry 1 write, removing one 1, changing its index key 2
 *   (delete + put), changing only projected attributes 1, each of ceil(entry size / 1 KB).
 */

export type Item = Record<string, unknown>;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function numberSize(n: number | bigint | string): number {
  const digits = String(n)
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

export function valueSize(value: unknown): number {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(value);
  if (typeof value === 'boolean') return 1;
  // lib-dynamodb wraps numbers it cannot hold in a JS number (wrapNumbers) in a NumberValue, which carries their text.
  if (value instanceof NumberValue) return numberSize(value.value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...(value as Set<unknown>)].reduce<number>((sum, v) => sum + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    // Any other object is a map, `{ value: ... }` included.
    return 3 + Object.entries(value as Item).reduce((sum, [k, v]) => sum + utf8(k) + 1 + valueSize(v), 0);
  }
  return utf8(String(value));
}

/** The size DynamoDB bills an item at. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += utf8(name) + valueSize(value);
  }
  return size;
}

export const readUnits = (bytes: number, consistent: boolean): number =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** The table's key attributes and its GSIs, from the same `CreateTableCommandInput` the stack and local mode use. */
export interface TableShape {
  keys: string[];
  indexes: { name: string; keys: string[]; projection: 'ALL' | 'KEYS_ONLY' | string[] }[];
}

export function tableShape(input: CreateTableCommandInput): TableShape {
  return {
    keys: (input.KeySchema ?? []).map((k) => k.AttributeName!),
    indexes: (input.GlobalSecondaryIndexes ?? []).map((g) => ({
      name: g.IndexName!,
      keys: (g.KeySchema ?? []).map((k) => k.AttributeName!),
      projection:
        g.Projection?.ProjectionType === 'INCLUDE'
          ? [...(g.Projection.NonKeyAttributes ?? [])]
          : g.Projection?.ProjectionType === 'KEYS_ONLY'
            ? 'KEYS_ONLY'
            : 'ALL',
    })),
  };
}

/** The entry an item has in an index, or undefined when it lacks the index's key attributes (sparse index). */
export function indexEntry(item: Item | undefined, index: TableShape['indexes'][number], table: TableShape): Item | undefined {
  if (!item || index.keys.some((k) => item[k] === undefined)) return undefined;
  if (index.projection === 'ALL') return item;
  const names = new Set([...index.keys, ...table.keys, ...(index.projection === 'KEYS_ONLY' ? [] : index.projection)]);
  return Object.fromEntries(Object.entries(item).filter(([k]) => names.has(k)));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
function replacer(_key: string, value: unknown) {
  if (value instanceof Set) return [...(value as Set<unknown>)].sort();
  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value as Item).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  return value;
}

/** Write units a write costs in each GSI, given the item before and after it. */
export function indexWriteUnits(before: Item | undefined, after: Item | undefined, table: TableShape): Record<string, number> {
  const units: Record<string, number> = {};
  for (const index of table.indexes) {
    const old = indexEntry(before, index, table);
    const now = indexEntry(after, index, table);
    let u = 0;
    if (!old && now) u = writeUnits(itemSize(now));
    else if (old && !now) u = writeUnits(itemSize(old));
    else if (old && now) {
      const keyChanged = index.keys.some((k) => !same(old[k], now[k]));
      if (keyChanged) u = writeUnits(itemSize(old)) + writeUnits(itemSize(now));
      else if (!same(old, now)) u = writeUnits(itemSize(now));
    }
    if (u > 0) units[index.name] = u;
  }
  return units;
}

/** Table write units of a put/update/delete, given the item before and after (after undefined: deleted or condition failed). */
export function tableWriteUnits(before: Item | undefined, after: Item | undefined): number {
  return Math.max(before ? writeUnits(itemSize(before)) : 1, after ? writeUnits(itemSize(after)) : 1);
}
