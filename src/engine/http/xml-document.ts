import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { z } from 'zod';
import { DocumentSchema, type Document } from '../../documents/document.ts';
import { EngineProblem } from '../problem.ts';

/**
 * The XML form of a document (guide, section 5: application/xml or text/xml). The guide shows no XML, so this
 * shape is ours (docs/engine.md):
 *
 *   <document>
 *     <orderNumber>TEST-EXAMPLE-ORDER-001</orderNumber> ...one element per field...
 *     <additionalFields><gate>7</gate></additionalFields>     (one child element per key; values stay text)
 *     <items>
 *       <item><lpn>LPNABC</lpn><quantity>10</quantity>
 *         <caseSerials><serial>S1</serial><serial>S2</serial></caseSerials>
 *       </item>
 *     </items>
 *   </document>
 *
 * Text is coerced by the field's type in DocumentSchema (numbers, booleans, arrays; one <item> is still a list),
 * so the same validation answers both forms; text that is not a number stays text and validation says 400.
 * Attributes are ignored; an empty element of a number or boolean field counts as absent.
 */

const ARRAY_ELEMENT_TAGS: Record<string, string> = { items: 'item', caseSerials: 'serial' };

type FieldKind =
  | { type: 'string' }
  | { type: 'number' }
  | { type: 'boolean' }
  | { type: 'record' }
  | { type: 'array'; tag: string; element: FieldKind }
  | { type: 'object'; fields: Record<string, FieldKind> };

interface ZodDefLike {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

/** Reads the field types out of the zod schema, so a field added to DocumentSchema is coerced without a change here. */
function kindOf(schema: z.ZodType, name: string): FieldKind {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return kindOf(def.innerType as z.ZodType, name);
    case 'number':
    case 'int':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'record':
      return { type: 'record' };
    case 'array':
      return { type: 'array', tag: ARRAY_ELEMENT_TAGS[name] ?? 'value', element: kindOf(def.element as z.ZodType, name) };
    case 'object':
      return { type: 'object', fields: Object.fromEntries(Object.entries(def.shape ?? {}).map(([key, field]) => [key, kindOf(field, key)])) };
    default:
      // strings, enums, literals and unions of them (the date fields): text as it is.
      return { type: 'string' };
  }
}

const DOCUMENT_KIND = kindOf(DocumentSchema, 'document');
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text beside child elements (`<additionalFields>x<gate>7</gate></additionalFields>`) has no field to go to. */
function refuseMixedText(value: Record<string, unknown>, name: string): void {
  if ('#text' in value) throw new EngineProblem(400, 'MALFORMED_BODY', `<${name}> must hold only elements, not text.`);
}

/**
 * A list's element given more than once (`<items>…</items><items>…</items>`): the parser makes a list of the
 * lists, which validation could only call unknown fields inside it, so it is named here, by its path.
 */
function refuseRepeatedList(value: unknown[], tag: string, name: string, path: string): never {
  const message = `the element <${name}> appears ${value.length === 2 ? 'twice' : `${value.length} times`}; put every <${tag}> in one <${name}>`;
  throw new EngineProblem(422, 'INVALID_FIELD', `${path}: ${message}`, [{ path, message }]);
}

/**
 * `undefined` means "leave the field out". Anything of the wrong shape is returned as it is, for validation to name.
 * `path` is the field's as validation writes it (`items[1].caseSerials`).
 */
function coerce(value: unknown, kind: FieldKind, name: string, path: string): unknown {
  switch (kind.type) {
    case 'string':
      return value;
    case 'number':
      if (value === '') return undefined;
      return typeof value === 'string' && NUMBER.test(value) ? Number(value) : value;
    case 'boolean': {
      if (value === '') return undefined;
      const text = typeof value === 'string' ? value.toLowerCase() : undefined;
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      return value;
    }
    case 'record':
      if (isPlainRecord(value)) refuseMixedText(value, name);
      return value === '' ? {} : value;
    case 'array': {
      if (value === '') return [];
      if (Array.isArray(value)) refuseRepeatedList(value, kind.tag, name, path);
      if (!isPlainRecord(value)) return value;
      refuseMixedText(value, name);
      const keys = Object.keys(value);
      if (keys.length !== 1 || keys[0] !== kind.tag) return value;
      const children = value[kind.tag];
      return (Array.isArray(children) ? children : [children]).map((child, index) => coerce(child, kind.element, kind.tag, `${path}[${index}]`));
    }
    case 'object': {
      if (value === '') return {};
      if (!isPlainRecord(value)) return value;
      refuseMixedText(value, name);
      const result: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        // Own keys only: `<toString>` found Object.prototype's and was dropped, not refused as an unknown field.
        const fieldKind = Object.hasOwn(kind.fields, key) ? kind.fields[key] : undefined;
        const coerced = fieldKind ? coerce(child, fieldKind, key, path === '' ? key : `${path}.${key}`) : child;
        if (coerced !== undefined) result[key] = coerced;
      }
      return result;
    }
  }
}

/**
 * fast-xml-parser renames elements it deems dangerous (`<toString>` becomes "__toString", `<valueOf>` "__valueOf")
 * and throws on `<constructor>` and `<prototype>`: a customer's additional field with such a name would be stored
 * renamed, or its document refused, where the same document in JSON is accepted. So every element name goes
 * through the parser behind a prefix no XML name can start with, and `withElementNames` takes it off again.
 */
const NAME_MARK = '\u0000';
const MARK = /^\u0000/;

/** The parsed tree with its element names as written; `__proto__` is refused as in JSON (body-text.ts). */
function withElementNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withElementNames);
  if (!isPlainRecord(value)) return value;
  const named: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const name = key.replace(MARK, '');
    if (name === '__proto__') throw new EngineProblem(400, 'MALFORMED_BODY', 'The element name "__proto__" is not accepted.');
    named[name] = withElementNames(child);
  }
  return named;
}

const parser = new XMLParser({
  // A self-closing element's name is transformed twice (fast-xml-parser 5.12): marked once either way, `<x/>`
  // and `<x>1</x>` are the same element, repeated in document order, not two keys where one overwrote the other.
  transformTagName: (name) => (name.startsWith(NAME_MARK) ? name : NAME_MARK + name),
  ignoreAttributes: true,
  // Text stays text; coerce() types it by the schema, so "00123" stays a string where the schema wants one.
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: true,
  // With htmlEntities the parser also decodes character references (&#233; &#xE9;); checkReferences has made sure
  // before that every reference in the text is one of those or one of XML's five named entities.
  processEntities: true,
  htmlEntities: true,
});

/**
 * A DOCTYPE can declare entities that expand exponentially (billion laughs) or reach for files (XXE); no document
 * needs one, so it is refused before any parser sees the text, wherever it appears.
 */
const DECLARATION = /<!\s*(DOCTYPE|ENTITY)/i;

/** XML text to the plain object validateDocument takes; throws 400 for what is not a well-formed <document>. */
export function parseXmlDocument(text: string): unknown {
  if (text.trim() === '') throw new EngineProblem(400, 'MALFORMED_BODY', 'The request body is empty.');
  if (DECLARATION.test(text)) {
    throw new EngineProblem(400, 'XML_DOCTYPE_FORBIDDEN', 'DOCTYPE and ENTITY declarations are not accepted in XML documents.');
  }
  checkReferences(text);
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new EngineProblem(400, 'MALFORMED_BODY', `The request body is not well-formed XML (line ${line}${col ? `, column ${col}` : ''}): ${msg}`);
  }
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch (error) {
    throw new EngineProblem(400, 'MALFORMED_BODY', `The request body is not a usable XML document: ${(error as Error).message}`);
  }
  parsed = withElementNames(parsed);
  const roots = isPlainRecord(parsed) ? Object.keys(parsed) : [];
  if (roots.length !== 1 || roots[0] !== 'document' || !isPlainRecord(parsed)) {
    throw new EngineProblem(400, 'MALFORMED_BODY', 'An XML document must have exactly one root element, <document>.');
  }
  const root = parsed.document;
  if (Array.isArray(root)) throw new EngineProblem(400, 'MALFORMED_BODY', 'An XML document must have exactly one root element, <document>.');
  return coerce(root, DOCUMENT_KIND, 'document', '');
}

/** XML's own entities; any other name would need a DTD, and DTDs are refused. */
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+))?;?/g;
const CDATA_OR_COMMENT = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g;

/** A code point XML 1.0 allows in a document (its production Char): no NUL, no other C0 control, no surrogate. */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff)
  );
}

/**
 * Every `&` outside CDATA sections and comments must start `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` or a character
 * reference to a character XML allows; anything else (`&nbsp;`, `&lol;`, `&#0;`) is not well-formed without a DTD.
 * The parser would keep such text as it is, and the field would be stored with the reference in it.
 */
function checkReferences(text: string): void {
  const visible = text.replace(CDATA_OR_COMMENT, (section) => section.replace(/[^\n]/g, ' '));
  for (const match of visible.matchAll(REFERENCE)) {
    const [whole, named, decimal, hex] = match;
    const code = decimal !== undefined ? Number(decimal) : hex !== undefined ? Number.parseInt(hex, 16) : undefined;
    const wellFormed = whole.endsWith(';') && (named !== undefined || (code !== undefined && isXmlChar(code)));
    if (!wellFormed) {
      const before = visible.slice(0, match.index);
      const line = before.split('\n').length;
      const column = match.index - before.lastIndexOf('\n');
      const shown = /^&[^;\s<&]{0,10};?/.exec(visible.slice(match.index))![0];
      throw new EngineProblem(
        400,
        'MALFORMED_BODY',
        `The request body is not well-formed XML (line ${line}, column ${column}): "${shown}" is not a reference XML knows; write & as &amp;, and characters as themselves or as &#NNN;.`,
      );
    }
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function renderValue(name: string, value: unknown, indent: string): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) {
    const tag = ARRAY_ELEMENT_TAGS[name] ?? 'value';
    const children = value.map((child) => renderValue(tag, child, indent + '  ')).join('');
    return `${indent}<${name}>\n${children}${indent}</${name}>\n`;
  }
  if (isPlainRecord(value)) {
    const children = Object.entries(value)
      .map(([key, child]) => renderValue(key, child, indent + '  '))
      .join('');
    return `${indent}<${name}>\n${children}${indent}</${name}>\n`;
  }
  return `${indent}<${name}>${escapeXml(value === null ? '' : String(value))}</${name}>\n`;
}

/** The XML form of a document (for the OpenAPI examples and for clients that want to see one). */
export function renderDocumentXml(doc: Document | Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderValue('document', doc, '')}`;
}
