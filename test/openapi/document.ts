import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseYamlSubset } from './yaml.ts';
import { SchemaValidator, type Schema } from './json-schema.ts';

/** docs/openapi.yaml, parsed, with the lookups the tests need. */
export const OPENAPI_PATH = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));
export const openapiSource = readFileSync(OPENAPI_PATH, 'utf8');

type Json = Record<string, unknown>;

export interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
}

export interface OpenApiDocument {
  openapi: string;
  info: Json;
  paths: Record<string, Record<string, unknown> & { parameters?: Json[] }>;
  webhooks?: Record<string, Record<string, Operation>>;
  components: Json;
  security?: unknown[];
}

export const openapi = parseYamlSubset(openapiSource) as unknown as OpenApiDocument;
export const validator = new SchemaValidator(openapi);

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/** Follows a `$ref` (if any) to the object it names. */
export function deref<T = Json>(node: unknown): T {
  let current = node as Json;
  const seen = new Set<string>();
  while (current && typeof current.$ref === 'string') {
    if (seen.has(current.$ref)) throw new Error(`circular reference ${current.$ref}`);
    seen.add(current.$ref);
    current = validator.resolve(current.$ref) as Json;
  }
  return current as T;
}

/** Every operation of `paths`, as [METHOD, path template, operation]. */
export function operations(): [string, string, Operation][] {
  const out: [string, string, Operation][] = [];
  for (const [path, item] of Object.entries(openapi.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as Operation | undefined;
      if (op) out.push([method.toUpperCase(), path, op]);
    }
  }
  return out;
}

export function operation(method: string, path: string): Operation {
  const op = openapi.paths[path]?.[method.toLowerCase()] as Operation | undefined;
  if (!op) throw new Error(`${method} ${path} is not documented`);
  return op;
}

/** Every documented numeric status, as `METHOD path status`. */
export function documentedStatuses(): string[] {
  return operations().flatMap(([method, path, op]) =>
    Object.keys(op.responses)
      .filter((status) => /^\d{3}$/.test(status))
      .map((status) => `${method} ${path} ${status}`),
  );
}

/** The JSON schema of a documented response, or null when the response has no body. */
export function responseSchema(op: Operation, status: string): Schema | null {
  const response = deref(op.responses[status]);
  if (!response) throw new Error(`status ${status} is not documented`);
  const content = response.content as Record<string, { schema: Schema }> | undefined;
  if (!content) return null;
  const json = content['application/json'];
  if (!json) throw new Error(`status ${status} has no application/json content`);
  return json.schema;
}
