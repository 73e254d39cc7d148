import * as z from 'zod/mini';
import { InvalidArgumentError } from './errors.ts';
import { PERMISSIONS } from './auth/model.ts';
import { MAX_RATE_LIMIT_PER_SECOND, MAX_ROTATION_GRACE_SECONDS } from './webhooks/model.ts';

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
    z.refine((v) => v.isWellFormed(), { message: `${field} must be well-formed Unicode` }),
  );

/** Distinct caches one key may name. */
export const MAX_KEY_CACHES = 100;

export const cacheNameSchema = name('cacheName', 255);
export const topicNameSchema = name('topicName', 255);
export const webhookNameSchema = name('webhookName', 128);

const integerBetween = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a number` })
    .check(z.refine((v) => Number.isInteger(v) && v >= min && v <= max, { message: `${field} must be an integer from ${min} to ${max}` }));

/** The settings are optional: on an update, one left out keeps its current value (docs/design.md#webhook-settings). */
export const putWebhookBodySchema = z.object(
  {
    topicName: topicNameSchema,
    destination: z.object(
      { postUrl: z.string({ error: 'destination.postUrl must be a string' }) },
      { error: 'destination must be an object with a postUrl' },
    ),
    standardWebhooks: z.optional(z.boolean({ error: 'standardWebhooks must be true or false' })),
    rateLimitPerSecond: z.optional(
      z.nullable(integerBetween('rateLimitPerSecond', 1, MAX_RATE_LIMIT_PER_SECOND)),
    ),
  },
  { error: 'the body must be a JSON object' },
);

export const rotateSecretBodySchema = z.object(
  { graceSeconds: z.optional(integerBetween('graceSeconds', 0, MAX_ROTATION_GRACE_SECONDS)) },
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
      .check(
        z.minLength(1, { error: 'caches must not be empty' }),
        // A key is one item: a list of any size would not fit it (and would be a 500).
        z.refine((caches) => new Set(caches).size <= MAX_KEY_CACHES, { message: `caches must hold at most ${MAX_KEY_CACHES} distinct entries` }),
      ),
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

/**
 * Parses a JSON request body, whatever its content-type says (docs/design.md#http-api). Every
 * string in it, keys included, must be well-formed Unicode: a lone surrogate (`"\ud800"`) is a
 * 400 naming where it is, never stored (hashed as UTF-8 it would become U+FFFD and alias
 * another name).
 */
export function parseJsonBody(body: string | null | undefined, options: { optional?: boolean } = {}): unknown {
  if (body === null || body === undefined || body.trim() === '') {
    // An optional body left empty is an empty object: every field takes its default.
    if (options.optional) return {};
    throw new InvalidArgumentError('the request body must be a JSON object');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidArgumentError('the request body is not valid JSON');
  }
  const where = illFormedString(parsed, '');
  if (where !== undefined) {
    throw new InvalidArgumentError(`${where || 'the body'}: must be well-formed Unicode (it holds a lone surrogate)`);
  }
  return parsed;
}

/**
 * The path of the first string (or key) that is not well-formed Unicode, if any. A loop with
 * its own stack, not recursion: a body nested thousands of levels deep must be a 400 or pass,
 * never a stack overflow (a 500).
 */
function illFormedString(root: unknown, rootPath: string): string | undefined {
  const pending: [unknown, string][] = [[root, rootPath]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === 'string') {
      if (!value.isWellFormed()) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], `${path}[${i}]`]);
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i]!;
        const at = path ? `${path}.${key}` : key;
        if (!key.isWellFormed()) return at;
        pending.push([item, at]);
      }
    }
  }
  return undefined;
}
