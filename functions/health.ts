import { apiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';
import { runtime } from '#shared/runtime.ts';

/** GET /health, without authentication. */
export const handler = apiHandler({ runtime }, async () => json(200, { status: 'ok' }));
