import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { cacheNameOf, topicNameOf } from '#functions/commons/path-parameters.ts';
import { subscribe } from '#shared/subscriptions/subscribe.ts';
import { runtime } from '#shared/runtime.ts';

/**
 * GET /topics/{cacheName}/{topicName}?sequence_number=N&sequence_page=P&limit=L: Momento's
 * HTTP long-poll; answers as soon as a message is there, else `{"items": []}` after the wait.
 */
export const handler = apiHandler(
  { runtime, permission: 'topics:subscribe', cacheScoped: true, allowQueryToken: true },
  async (request, rt) =>
    json(
      200,
      await subscribe(rt, { cacheName: cacheNameOf(request), topicName: topicNameOf(request) }, {
        sequence_number: request.query('sequence_number'),
        sequence_page: request.query('sequence_page'),
        limit: request.query('limit'),
      }),
    ),
);
