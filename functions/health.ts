import { publicApiHandler } from '#functions/commons/api-handler.ts';
import { json } from '#functions/commons/api-request.ts';

/** GET /health, without authentication; it touches nothing, so it needs no runtime. */
export const handler = publicApiHandler(async () => json(200, { status: 'ok' }));
