import { createHash } from 'node:crypto';

/**
 * Storage keys. Names may hold any character (`#`, `/`-free but otherwise anything) and be up
 * to 255 four-byte characters long, so keys hold a fixed-length hash of each name and the
 * names themselves are plain attributes: collision-free and always within DynamoDB's key
 * limits. See docs/data-model.md.
 */
export function nameHash(name: string): string {
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

/**
 * One delivery record per (cache, topic, sequence number, webhook): the once-only claim and
 * then the outcome. Partitioned by webhook so a delivery-history view is one query.
 */
export const deliveryKey = (d: { cacheName: string; topicName: string; webhookName: string; sequenceNumber: number }) => ({
  pk: `DELIVERY#${nameHash(d.cacheName)}.${nameHash(d.webhookName)}`,
  sk: `${nameHash(d.topicName)}#${String(d.sequenceNumber).padStart(16, '0')}`,
});
