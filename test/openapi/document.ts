import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Ajv2020, type Schema, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

export type { Schema };

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

// YAML 1.2 core schema: a duplicate key is an error, `yes` is a string.
export const openapi = parse(openapiSource, { uniqueKeys: true, strict: true }) as OpenApiDocument;

/**
 * The id the whole document is added to Ajv under: its own `#/components/schemas/X` references
 * resolve in it, and a schema written in a test names a component as `doc#/components/schemas/X`.
 */
export const DOC = 'doc';

// ajv-formats is CommonJS: imported from ESM its default export is `module.exports`, whose
// `default` is the plugin (TypeScript's NodeNext typing agrees).
const addFormats = ajvFormats.default;

/**
 * JSON Schema 2020-12 (the dialect of OpenAPI 3.1) in strict mode: a keyword or format Ajv
 * does not know throws when the schema compiles instead of being silently skipped, so the
 * document cannot rely on a check that is never made. `strictTypes` is off because the error
 * schemas narrow `error.code` in `allOf` branches that carry `properties` without `type`.
 */
const ajv = new Ajv2020({ allErrors: true, strictTypes: false });
addFormats(ajv);
// The fields of the OpenAPI Object, so that the document itself compiles as the root
// `doc#/...` resolves in; they assert nothing, and every schema inside stays strict.
for (const field of ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags', 'externalDocs']) {
  ajv.addKeyword(field);
}
// Ajv honours OpenAPI 3.0's `nullable`, which 3.1 dropped (`type: [x, 'null']` instead): in this
// document it would be a keyword other 3.1 tools ignore, so it is refused like any unknown one.
ajv.removeKeyword('nullable');
ajv.addSchema(openapi as object, DOC);

/** Where each object of the document is, as a URI fragment (a JSON pointer), so its relative references resolve. */
const pointers = new WeakMap<object, string>();
(function index(node: unknown, pointer: string): void {
  if (!node || typeof node !== 'object') return;
  if (!pointers.has(node)) pointers.set(node, pointer);
  for (const [k, v] of Object.entries(node)) index(v, `${pointer}/${encodeURIComponent(k.replace(/~/g, '~0').replace(/\//g, '~1'))}`);
})(openapi, '');

export const validator = {
  /**
   * The validator of `schema`: a schema of the document is compiled where it stands (so its
   * `#/...` references resolve in the document), any other as given. Throws for a keyword or
   * format outside what Ajv checks, or an unresolved reference.
   */
  compile(schema: Schema): ValidateFunction {
    const pointer = typeof schema === 'object' ? pointers.get(schema) : undefined;
    if (pointer === undefined) return ajv.compile(schema);
    const validate = ajv.getSchema(`${DOC}#${pointer}`);
    if (!validate) throw new Error(`no schema at ${DOC}#${pointer}`);
    return validate;
  },

  /** Every problem found, each as `path: message`; empty when `value` is valid. */
  validate(value: unknown, schema: Schema): string[] {
    const validate = validator.compile(schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `$${e.instancePath}: ${e.message ?? e.keyword} (${e.schemaPath})`);
  },

  /** The value a local `#/a/b` reference points at, in the document. */
  resolve(ref: string): unknown {
    if (!ref.startsWith('#/')) throw new Error(`only local references are supported: ${ref}`);
    let node: unknown = openapi;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      if (typeof node !== 'object' || node === null || !(key in node)) throw new Error(`unresolved reference ${ref}`);
      node = (node as Json)[key];
    }
    return node;
  },
};

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
  // The console's files (text/html, text/css, ...) are the one non-JSON content: a string each.
  const json = content['application/json'] ?? content['text/html'] ?? content['text/javascript'];
  if (!json) throw new Error(`status ${status} has no application/json content`);
  return json.schema;
}
