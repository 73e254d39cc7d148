import * as z from 'zod/mini';
import { InvalidArgumentError } from './errors.ts';
import { PERMISSIONS } from './auth/model.ts';

/**
 * One schema per input. Every failure becomes an `InvalidArgumentError` (400) whose message
 * names the field, never a 500. zod's tree-shakable `zod/mini` API: the functions' bundles
 * carry a fifth of what the chained API would add.
 */

const CONTROL_CHARACTER = /\p{Cc}/u;
const codePoints = (value: string): number => [...value].length;

const name = (field: string, maxCodePoints: number) =>
  z.string({ error: `${field} must be a string` }).check(
    z.refine((v) => v.trim().length > 0, { message: `${field} must not be blank` }),
    z.refine((v) => codePoints(v) <= maxCodePoints, { message: `${field} must be at most ${maxCodePoints} characters` }),
    z.refine((v) => !v.includes('/'), { message: `${field} must not contain '/'` }),
    // URL parsers drop these path segments, so no request could address such a name.
    z.refine((v) => v !== '.' && v !== '..', { message: `${field} must not be '.' or '..'` }),
    z.refine((v) => !CONTROL_CHARACTER.test(v), { message: `${field} must not contain control characters` }),
  );

export const cacheNameSchema = name('cacheName', 255);
export const topicNameSchema = name('topicName', 255);
export const webhookNameSchema = name('webhookName', 128);

export const putWebhookBodySchema = z.object(
  {
    topicName: topicNameSchema,
    destination: z.object(
      { postUrl: z.string({ error: 'destination.postUrl must be a string' }) },
      { error: 'destination must be an object with a postUrl' },
    ),
  },
  { error: 'the body must be a JSON object' },
);

export const createKeyBodySchema = z.object(
  {
    permissions: z
      .array(z.enum(PERMISSIONS, { error: `permissions may only contain ${PERMISSIONS.join(', ')}` }), {
        error: 'permissions must be an array',
      })
      .check(z.minLength(1, { error: 'permissions must not be empty' })),
    caches: z
      .array(z.union([z.literal('*'), cacheNameSchema]), { error: 'caches must be an array' })
      .check(z.minLength(1, { error: 'caches must not be empty' })),
    tokenId: z.optional(
      z
        .string({ error: 'tokenId must be a string' })
        .check(z.refine((v) => codePoints(v) <= 64, { message: 'tokenId must be at most 64 characters' })),
    ),
    // Any positive integer (docs/design.md#http-api), beyond 2^53 too: the expiry is clamped where it is computed.
    expiresInSeconds: z.optional(
      z
        .number({ error: 'expiresInSeconds must be a number' })
        .check(z.refine((v) => Number.isInteger(v) && v > 0, { message: 'expiresInSeconds must be a positive integer' })),
    ),
  },
  { error: 'the body must be a JSON object' },
);

/** Parses `input` with `schema`, turning the first issue into a 400 that names its field. */
export function parseInput<T>(schema: z.ZodMiniType<T>, input: unknown, field?: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? issue.path.join('.') : field;
  const message = issue?.message ?? 'invalid input';
  throw new InvalidArgumentError(path && !message.startsWith(path) ? `${path}: ${message}` : message);
}

/** Parses a JSON request body, whatever its content-type says (docs/design.md#http-api). */
export function parseJsonBody(body: string | null | undefined): unknown {
  if (body === null || body === undefined || body.trim() === '') {
    throw new InvalidArgumentError('the request body must be a JSON object');
  }
  try {
    return JSON.parse(body);
  } catch {
    throw new InvalidArgumentError('the request body is not valid JSON');
  }
}
