/**
 * A validator for the subset of JSON Schema 2020-12 that docs/openapi.yaml uses. An unknown
 * keyword is an error rather than ignored, so the document cannot rely on a check this
 * validator silently skips.
 */

export type Schema = { [keyword: string]: unknown } | boolean;

const ASSERTIONS = new Set([
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'format',
  'allOf',
  'anyOf',
  'oneOf',
]);
const ANNOTATIONS = new Set(['description', 'title', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly', '$comment']);

export class SchemaValidator {
  /** `root` is the document `#/...` references resolve in. */
  constructor(private readonly root: unknown) {}

  /** Every problem found, each as `path: message`; empty when `value` is valid. */
  validate(value: unknown, schema: Schema, path = '$'): string[] {
    const errors: string[] = [];
    this.check(value, schema, path, errors);
    return errors;
  }

  /** Throws for a keyword outside the subset, anywhere in `schema` (references followed once). */
  assertSupported(schema: Schema, where = '#', seen = new Set<string>()): void {
    if (typeof schema === 'boolean') return;
    for (const [keyword, sub] of Object.entries(schema)) {
      if (!ASSERTIONS.has(keyword) && !ANNOTATIONS.has(keyword)) throw new Error(`${where}: unsupported keyword ${keyword}`);
      if (keyword === '$ref') {
        const ref = sub as string;
        if (!seen.has(ref)) {
          seen.add(ref);
          this.assertSupported(this.resolve(ref), ref, seen);
        }
      } else if (keyword === 'properties') {
        for (const [name, s] of Object.entries(sub as Record<string, Schema>)) this.assertSupported(s, `${where}/properties/${name}`, seen);
      } else if (keyword === 'items' || keyword === 'additionalProperties') {
        this.assertSupported(sub as Schema, `${where}/${keyword}`, seen);
      } else if (keyword === 'allOf' || keyword === 'anyOf' || keyword === 'oneOf') {
        (sub as Schema[]).forEach((s, i) => this.assertSupported(s, `${where}/${keyword}/${i}`, seen));
      } else if (keyword === 'format' && !FORMATS[sub as string]) {
        throw new Error(`${where}: unsupported format ${String(sub)}`);
      }
    }
  }

  /** The value a local `#/a/b` reference points at. */
  resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`only local references are supported: ${ref}`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      if (typeof node !== 'object' || node === null || !(key in node)) throw new Error(`unresolved reference ${ref}`);
      node = (node as Record<string, unknown>)[key];
    }
    return node as Schema;
  }

  private check(value: unknown, schema: Schema, path: string, errors: string[]): void {
    if (schema === true) return;
    if (schema === false) {
      errors.push(`${path}: no value is allowed here`);
      return;
    }
    const s = schema;
    if (typeof s.$ref === 'string') this.check(value, this.resolve(s.$ref), path, errors);

    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => hasType(value, t))) {
        errors.push(`${path}: expected ${types.join(' or ')}, found ${typeName(value)}`);
        return;
      }
    }
    if (s.const !== undefined && !deepEqual(value, s.const)) errors.push(`${path}: expected ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(value, e))) {
      errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
    }

    if (typeof value === 'string') {
      const length = [...value].length; // JSON Schema counts code points
      if (typeof s.minLength === 'number' && length < s.minLength) errors.push(`${path}: shorter than ${s.minLength}`);
      if (typeof s.maxLength === 'number' && length > s.maxLength) errors.push(`${path}: longer than ${s.maxLength}`);
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) {
        errors.push(`${path}: ${JSON.stringify(value)} does not match ${s.pattern}`);
      }
      if (typeof s.format === 'string' && !(FORMATS[s.format] as (v: string) => boolean)(value)) {
        errors.push(`${path}: ${JSON.stringify(value)} is not a ${s.format}`);
      }
    }
    if (typeof value === 'number') {
      if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: below ${s.minimum}`);
      if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: above ${s.maximum}`);
    }
    if (Array.isArray(value)) {
      if (typeof s.minItems === 'number' && value.length < s.minItems) errors.push(`${path}: fewer than ${s.minItems} items`);
      if (typeof s.maxItems === 'number' && value.length > s.maxItems) errors.push(`${path}: more than ${s.maxItems} items`);
      if (s.uniqueItems === true && value.some((v, i) => value.findIndex((w) => deepEqual(v, w)) !== i)) {
        errors.push(`${path}: items are not unique`);
      }
      if (s.items !== undefined) value.forEach((v, i) => this.check(v, s.items as Schema, `${path}[${i}]`, errors));
    }
    if (isObject(value)) {
      const properties = (s.properties ?? {}) as Record<string, Schema>;
      for (const name of (s.required ?? []) as string[]) {
        if (!(name in value)) errors.push(`${path}: missing ${name}`);
      }
      for (const [name, v] of Object.entries(value)) {
        const sub = properties[name];
        if (sub !== undefined) this.check(v, sub, `${path}.${name}`, errors);
        else if (s.additionalProperties !== undefined) this.check(v, s.additionalProperties as Schema, `${path}.${name}`, errors);
      }
    }
    if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) this.check(value, sub, path, errors);
    if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some((sub) => this.validate(value, sub, path).length === 0)) {
      errors.push(`${path}: matches none of anyOf`);
    }
    if (Array.isArray(s.oneOf)) {
      const matches = (s.oneOf as Schema[]).filter((sub) => this.validate(value, sub, path).length === 0).length;
      if (matches !== 1) errors.push(`${path}: matches ${matches} of oneOf, not exactly one`);
    }
  }
}

const FORMATS: Record<string, (v: string) => boolean> = {
  // RFC 3339 date-time in UTC with a Z, as the service writes it (toISOString).
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v) && !Number.isNaN(Date.parse(v)),
  uri: (v) => {
    try {
      return new URL(v).protocol.length > 1;
    } catch {
      return false;
    }
  },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      throw new Error(`unknown type ${type}`);
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
