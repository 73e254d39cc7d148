import { createHash } from 'node:crypto';

/**
 * Storage keys. Names may hold any character (`#`, `/`-free but otherwise anything) and be up
 * to 255 four-byte characters long, so keys hold a fixed-length hash of each name and the
 * names themselves are plain attributes: collision-free and always within DynamoDB's key
 * limits. See docs/data-model.md.
 */
function nameHash(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest('base64url');
}

export const webhookKey = (cacheName: string, webhookName: string) => ({
  pk: `CACHE#${nameHash(cacheName)}`,
  sk: `WEBHOOK#${nameHash(webhookName)}`,
});

export const cachePartition = (cacheName: string) => `CACHE#${nameHash(cacheName)}`;

/** Partition of the fan-out index and of the sequence counter: one per (cache, topic). */
export const topicPartition = (cacheName: string, topicName: string) =>
  `TOPIC#${nameHash(cacheName)}.${nameHash(topicName)}`;

export const sequenceCounterKey = (cacheName: string, topicName: string) => ({
  pk: topicPartition(cacheName, topicName),
  sk: 'SEQUENCE',
});

export const apiKeyKey = (keyId: string) => ({ pk: `APIKEY#${keyId}`, sk: 'APIKEY' });

/** The per-cache webhook counter lives in the cache's partition, beside its webhooks. */
export const cacheCounterKey = (cacheName: string) => ({ pk: cachePartition(cacheName), sk: 'COUNTER' });

/**
 * One claim per (cache, topic, sequence number, group), each its own partition: claims of a
 * busy topic spread over the table instead of heating one partition.
 */
export const groupClaimKey = (c: { cacheName: string; topicName: string; sequenceNumber: number; group: number }) => ({
  pk: `CLAIM#${nameHash(c.cacheName)}.${nameHash(c.topicName)}#${c.sequenceNumber}#${c.group}`,
  sk: 'CLAIM',
});

/**
 * History items of one webhook incarnation: its random id is the partition, so a webhook
 * deleted and created again starts with an empty history. Sort keys order items by time.
 */
export const historyPartition = (webhookId: string) => `HISTORY#${webhookId}`;

/**
 * A message of the topic's log: in the topic's partition beside its sequence counter, sorted by
 * number (16 digits hold every safe integer).
 */
export const messageLogKey = (cacheName: string, topicName: string, sequenceNumber: number) => ({
  pk: topicPartition(cacheName, topicName),
  sk: `MSG#${String(sequenceNumber).padStart(16, '0')}`,
});

/**
 * The rate-limit counter of one webhook incarnation for one second of the clock (epoch
 * seconds): written only for webhooks that have a limit, and expiring soon after.
 */
export const rateWindowKey = (webhookId: string, second: number) => ({ pk: `RATE#${webhookId}`, sk: `SECOND#${second}` });
