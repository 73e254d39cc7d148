import { cacheNameSchema, parseInput, topicNameSchema, webhookNameSchema } from '../validation.ts';
import type { WebhookIdentity } from '../store/webhook-store.ts';
import type { ApiRequest } from './http.ts';

/** Validated names from the path (400 naming the parameter otherwise). */
export const cacheNameOf = (request: ApiRequest): string =>
  parseInput(cacheNameSchema, request.pathParameter('cacheName'), 'cacheName');

export const webhookIdentityOf = (request: ApiRequest): WebhookIdentity => ({
  cacheName: cacheNameOf(request),
  webhookName: parseInput(webhookNameSchema, request.pathParameter('webhookName'), 'webhookName'),
});

export const topicNameOf = (request: ApiRequest): string =>
  parseInput(topicNameSchema, request.pathParameter('topicName'), 'topicName');
