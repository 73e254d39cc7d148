import { apiHandler, json } from '#shared/lambda/http.ts';

/** GET /health, without authentication. */
export const handler = apiHandler({}, async () => json(200, { status: 'ok' }));
