/**
 * A strict parser for the subset of YAML that docs/openapi.yaml is written in (no YAML library
 * is a dependency of this project). Anything outside the subset is an error naming its line,
 * so the document cannot drift into YAML this parser would read differently from a real one.
 *
 * The subset: spaces for indentation; full-line `#` comments; block mappings (`key: value`,
 * `key:` + a deeper block); block sequences (`- value`, `- key: value` + aligned keys, `-` +
 * a deeper block); block scalars `|` and `>` (clip chomping); one-line flow collections
 * `[a, b]` and `{k: v}`; plain, 'single-quoted' and "double-quoted" scalars; `null`, `~`,
 * `true`, `false` and decimal numbers resolved as in YAML's core schema. Not supported:
 * anchors, aliases, tags, multi-line flow or quoted scalars, trailing comments, complex keys,
 * several documents.
 */

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  /** 1-based line number in the source. */
  no: number;
  indent: number;
  /** The line without its indentation. */
  text: string;
}

export class YamlSubsetError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'YamlSubsetError';
  }
}

export function parseYamlSubset(source: string): YamlValue {
  const raw = source.split(/\r?\n/);
  const lines: Line[] = [];
  raw.forEach((text, i) => {
    if (/^\s*(#.*)?$/.test(text)) return;
    const indent = text.length - text.trimStart().length;
    if (/^ *\t/.test(text)) throw new YamlSubsetError(i + 1, 'tabs are not allowed in indentation');
    lines.push({ no: i + 1, indent, text: text.slice(indent).trimEnd() });
  });
  if (lines.length === 0) return null;
  const parser = new Parser(lines, raw);
  const value = parser.block(0);
  if (parser.pos < lines.length) {
    const line = lines[parser.pos] as Line;
    throw new YamlSubsetError(line.no, 'unexpected indentation');
  }
  return value;
}

class Parser {
  pos = 0;
  constructor(
    private readonly lines: Line[],
    private readonly raw: string[],
  ) {}

  private peek(): Line | undefined {
    return this.lines[this.pos];
  }

  /** A block node whose lines start at exactly `indent`. */
  block(indent: number): YamlValue {
    const line = this.peek();
    if (!line) return null;
    if (line.indent !== indent) throw new YamlSubsetError(line.no, `expected indentation ${indent}, found ${line.indent}`);
    return line.text === '-' || line.text.startsWith('- ') ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (!(line.text === '-' || line.text.startsWith('- '))) throw new YamlSubsetError(line.no, 'expected a sequence item');
      this.pos++;
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        items.push(this.nested(line, indent));
      } else if (isMappingEntry(rest)) {
        // `- key: value`: the item is a mapping whose keys align with `key`.
        const itemIndent = indent + (line.text.length - rest.length);
        this.lines.splice(this.pos, 0, { no: line.no, indent: itemIndent, text: rest });
        items.push(this.mapping(itemIndent));
      } else {
        items.push(this.inlineValue(rest, line, indent));
      }
    }
    return items;
  }

  private mapping(indent: number): { [key: string]: YamlValue } {
    const map: { [key: string]: YamlValue } = {};
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (line.text.startsWith('- ') || line.text === '-') throw new YamlSubsetError(line.no, 'a sequence item where a mapping key was expected');
      this.pos++;
      const { key, rest } = splitEntry(line);
      if (Object.prototype.hasOwnProperty.call(map, key)) throw new YamlSubsetError(line.no, `duplicate key ${JSON.stringify(key)}`);
      map[key] = rest === '' ? this.nested(line, indent) : this.inlineValue(rest, line, indent);
    }
    return map;
  }

  /** The deeper block after `key:` or `-`; null when there is none. */
  private nested(parent: Line, indent: number): YamlValue {
    const next = this.peek();
    if (!next || next.indent <= indent) return null;
    if (next.no === parent.no) throw new YamlSubsetError(parent.no, 'unexpected nesting');
    return this.block(next.indent);
  }

  private inlineValue(text: string, line: Line, indent: number): YamlValue {
    if (text === '|' || text === '>') return this.blockScalar(text, line, indent);
    return scalarOrFlow(text, line.no);
  }

  /** `|` keeps line breaks, `>` folds them into spaces (blank lines become breaks); one final newline. */
  private blockScalar(style: string, line: Line, indent: number): string {
    // Block scalar content is read from the raw source, where blank lines still exist.
    const start = line.no; // raw index of the first content line (0-based) is line.no
    let end = start;
    let contentIndent = -1;
    for (let i = start; i < this.raw.length; i++) {
      const text = this.raw[i] as string;
      if (text.trim() === '') {
        end = i + 1;
        continue;
      }
      const ind = text.length - text.trimStart().length;
      if (ind <= indent) break;
      if (contentIndent === -1) contentIndent = ind;
      if (ind < contentIndent) throw new YamlSubsetError(i + 1, 'block scalar lines must keep their indentation');
      end = i + 1;
    }
    if (contentIndent === -1) throw new YamlSubsetError(line.no, 'empty block scalar');
    const content = this.raw.slice(start, end).map((t) => (t.trim() === '' ? '' : t.slice(contentIndent).trimEnd()));
    while (content.length && content[content.length - 1] === '') content.pop();
    // Skip the parsed lines that belong to the scalar.
    while (this.pos < this.lines.length && (this.lines[this.pos] as Line).no <= end) this.pos++;
    if (style === '|') return `${content.join('\n')}\n`;
    let out = '';
    for (let i = 0; i < content.length; i++) {
      const current = content[i] as string;
      if (i > 0) out += current === '' || content[i - 1] === '' ? (current === '' ? '\n' : '') : ' ';
      out += current;
    }
    return `${out}\n`;
  }
}

function isMappingEntry(text: string): boolean {
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = quotedEnd(text, 0);
    return end > 0 && /^:( |$)/.test(text.slice(end));
  }
  if (text.startsWith('[') || text.startsWith('{')) return false;
  return /^[^\s:#][^:]*?:( |$)/.test(text);
}

function splitEntry(line: Line): { key: string; rest: string } {
  const { text, no } = line;
  let key: string;
  let after: string;
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = quotedEnd(text, 0);
    if (end < 0) throw new YamlSubsetError(no, 'unterminated quoted key');
    key = unquote(text.slice(0, end), no);
    after = text.slice(end);
  } else {
    const m = /^([^\s:#][^:]*?):( |$)/.exec(text);
    if (!m) throw new YamlSubsetError(no, `expected "key: value", found ${JSON.stringify(text)}`);
    key = m[1] as string;
    after = text.slice(key.length);
  }
  if (!/^:( |$)/.test(after)) throw new YamlSubsetError(no, 'expected ":" after the key');
  return { key, rest: after.slice(1).trim() };
}

/** Index just past the closing quote of the quoted scalar starting at `start`, or -1. */
function quotedEnd(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") {
        i++;
        continue;
      }
      return i + 1;
    }
  }
  return -1;
}

function unquote(token: string, no: number): string {
  if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
  try {
    return JSON.parse(token) as string;
  } catch {
    throw new YamlSubsetError(no, `a double-quoted scalar outside the JSON escapes: ${token}`);
  }
}

function scalarOrFlow(text: string, no: number): YamlValue {
  if (text.startsWith('[') || text.startsWith('{')) {
    const flow = new FlowParser(text, no);
    const value = flow.value();
    flow.end();
    return value;
  }
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = quotedEnd(text, 0);
    if (end !== text.length) throw new YamlSubsetError(no, 'text after a quoted scalar (trailing comments are not supported)');
    return unquote(text, no);
  }
  return plain(text, no);
}

function plain(text: string, no: number): YamlValue {
  if (/^[&*!%@`|>]/.test(text)) throw new YamlSubsetError(no, `unsupported YAML feature at ${JSON.stringify(text)}`);
  if (/: |\s#/.test(text) || text.endsWith(':')) {
    throw new YamlSubsetError(no, `ambiguous plain scalar ${JSON.stringify(text)}: quote it`);
  }
  if (text === 'null' || text === '~') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (/^(?:[-+]?\.inf|\.nan|0x[0-9a-f]+|0o[0-7]+|[Yy]es|[Nn]o|[Oo]n|[Oo]ff|True|False|NULL|Null)$/i.test(text)) {
    throw new YamlSubsetError(no, `${JSON.stringify(text)} reads differently across YAML versions: quote it`);
  }
  return text;
}

/** One-line flow collections: `[a, 'b', {k: v}]`. */
class FlowParser {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly no: number,
  ) {}

  private ws(): void {
    while (this.text[this.i] === ' ') this.i++;
  }

  end(): void {
    this.ws();
    if (this.i !== this.text.length) throw new YamlSubsetError(this.no, `unexpected ${JSON.stringify(this.text.slice(this.i))}`);
  }

  value(): YamlValue {
    this.ws();
    const c = this.text[this.i];
    if (c === '[') return this.seq();
    if (c === '{') return this.map();
    if (c === '"' || c === "'") {
      const end = quotedEnd(this.text, this.i);
      if (end < 0) throw new YamlSubsetError(this.no, 'unterminated quoted scalar');
      const token = this.text.slice(this.i, end);
      this.i = end;
      return unquote(token, this.no);
    }
    const m = /^[^,[\]{}]+/.exec(this.text.slice(this.i));
    if (!m) throw new YamlSubsetError(this.no, `expected a value at ${JSON.stringify(this.text.slice(this.i))}`);
    this.i += m[0].length;
    return plain(m[0].trim(), this.no);
  }

  private seq(): YamlValue[] {
    this.i++;
    const items: YamlValue[] = [];
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return items;
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.text[this.i++];
      if (c === ']') return items;
      if (c !== ',') throw new YamlSubsetError(this.no, 'expected "," or "]"');
    }
  }

  private map(): { [key: string]: YamlValue } {
    this.i++;
    const map: { [key: string]: YamlValue } = {};
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return map;
    }
    for (;;) {
      this.ws();
      let key: string;
      const c = this.text[this.i];
      if (c === '"' || c === "'") {
        const end = quotedEnd(this.text, this.i);
        key = unquote(this.text.slice(this.i, end), this.no);
        this.i = end;
      } else {
        const m = /^[^,:[\]{}]+/.exec(this.text.slice(this.i));
        if (!m) throw new YamlSubsetError(this.no, 'expected a key');
        key = m[0].trim();
        this.i += m[0].length;
      }
      if (this.text[this.i] !== ':' || this.text[this.i + 1] !== ' ') throw new YamlSubsetError(this.no, 'expected ": " after a flow key');
      this.i += 2;
      if (Object.prototype.hasOwnProperty.call(map, key)) throw new YamlSubsetError(this.no, `duplicate key ${JSON.stringify(key)}`);
      map[key] = this.value();
      this.ws();
      const d = this.text[this.i++];
      if (d === '}') return map;
      if (d !== ',') throw new YamlSubsetError(this.no, 'expected "," or "}"');
    }
  }
}
