import { DELIVERY_FUNCTION, type HttpFunctionName } from '#functions/routes.ts';
import { apiKeyKey, groupClaimKey, historyPartition, sequenceCounterKey, webhookKey } from '#shared/store/keys.ts';
import { TABLE_KEYS } from '#shared/store/table-schema.ts';
import type { TableGrant } from './constructs/service-function.ts';

/** The `PREFIX#` of a storage partition key, taken from the key functions themselves so the two cannot drift. */
const prefixOf = (pk: string): string => pk.slice(0, pk.indexOf('#') + 1);

/** Partition-key prefixes of the single table's item kinds (shared/store/keys.ts, docs/data-model.md). */
export const KEY_PREFIXES = {
  apiKey: prefixOf(apiKeyKey('k').pk),
  cache: prefixOf(webhookKey('c', 'w').pk),
  topic: prefixOf(sequenceCounterKey('c', 't').pk),
  claim: prefixOf(groupClaimKey({ cacheName: 'c', topicName: 't', sequenceNumber: 1, group: 0 }).pk),
  history: prefixOf(historyPartition('w')),
} as const;

/** Every authenticated route reads the caller's API key item (shared/auth/principal.ts). */
const AUTHENTICATE: TableGrant = { actions: ['GetItem'], leadingKeyPrefixes: [KEY_PREFIXES.apiKey] };

/**
 * Least privilege per function: exactly the calls its code makes (shared/store/*.ts), each on
 * the key prefixes it addresses. Webhook items (`CACHE#`, which hold the secrets) are reachable
 * only by the webhook routes and by delivery, which signs with the secret. Publish updates its
 * topic's counter and queries the fan-out index, whose projection holds no secret; it cannot
 * read a webhook item by key. The key routes touch only `APIKEY#` items and the key index.
 * Delivery claims groups (`CLAIM#`) and writes history (`HISTORY#`), which the history and
 * test routes read and write.
 */
export const TABLE_ACCESS: Readonly<Record<HttpFunctionName | typeof DELIVERY_FUNCTION, readonly TableGrant[]>> = {
  health: [],
  'serve-console': [],
  // Webhook items and the per-cache counter beside them (GetItem: the counter).
  'put-webhook': [AUTHENTICATE, { actions: ['UpdateItem', 'PutItem', 'GetItem', 'Query'], leadingKeyPrefixes: [KEY_PREFIXES.cache] }],
  'list-webhooks': [AUTHENTICATE, { actions: ['Query'], leadingKeyPrefixes: [KEY_PREFIXES.cache] }],
  'delete-webhook': [AUTHENTICATE, { actions: ['DeleteItem', 'UpdateItem'], leadingKeyPrefixes: [KEY_PREFIXES.cache] }],
  'get-webhook-secret': [AUTHENTICATE, { actions: ['GetItem'], leadingKeyPrefixes: [KEY_PREFIXES.cache] }],
  'rotate-webhook-secret': [AUTHENTICATE, { actions: ['UpdateItem'], leadingKeyPrefixes: [KEY_PREFIXES.cache] }],
  // The topic's sequence counter and its message log live in the topic partition.
  'publish-message': [
    AUTHENTICATE,
    { actions: ['UpdateItem', 'PutItem'], leadingKeyPrefixes: [KEY_PREFIXES.topic] },
    { actions: ['Query'], index: TABLE_KEYS.topicIndex.name },
  ],
  'list-deliveries': [
    AUTHENTICATE,
    { actions: ['GetItem'], leadingKeyPrefixes: [KEY_PREFIXES.cache] },
    { actions: ['Query'], leadingKeyPrefixes: [KEY_PREFIXES.history] },
  ],
  'test-webhook': [
    AUTHENTICATE,
    { actions: ['GetItem'], leadingKeyPrefixes: [KEY_PREFIXES.cache] },
    { actions: ['BatchWriteItem'], leadingKeyPrefixes: [KEY_PREFIXES.history] },
  ],
  'subscribe-topic': [AUTHENTICATE, { actions: ['GetItem', 'Query'], leadingKeyPrefixes: [KEY_PREFIXES.topic] }],
  'create-key': [AUTHENTICATE, { actions: ['PutItem'], leadingKeyPrefixes: [KEY_PREFIXES.apiKey] }],
  'list-keys': [AUTHENTICATE, { actions: ['Query'], index: TABLE_KEYS.keyIndex.name }],
  'revoke-key': [AUTHENTICATE, { actions: ['DeleteItem'], leadingKeyPrefixes: [KEY_PREFIXES.apiKey] }],
  [DELIVERY_FUNCTION]: [
    { actions: ['BatchGetItem'], leadingKeyPrefixes: [KEY_PREFIXES.cache] },
    { actions: ['PutItem'], leadingKeyPrefixes: [KEY_PREFIXES.claim] },
    { actions: ['BatchWriteItem'], leadingKeyPrefixes: [KEY_PREFIXES.history] },
  ],
};

/** The only function that sends to the delivery queue. */
export const QUEUE_SENDERS: readonly HttpFunctionName[] = ['publish-message'];
