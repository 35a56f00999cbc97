import type { z } from 'zod';
import { DocumentSchema, REQUIRED_ITEM_FIELDS, effectiveStrategy, itemKey, lacksItemField, type Document } from '../../documents/document.ts';
import { EngineProblem } from '../problem.ts';

type Issue = z.core.$ZodIssue;
type FieldError = { path: string; message: string };
type Finding = FieldError & { status: 400 | 409 | 422; code: string };

/**
 * Parses an untrusted body (JSON-parsed or converted from XML) into a Document, or throws the EngineProblem a
 * client can act on. Wrong JSON types are 400 and everything else about the fields is 422 (guide, section 13);
 * every issue is listed in `errors`, the problem's code is the first one's (type errors first).
 */
export function validateDocument(input: unknown): Document {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new EngineProblem(400, 'MALFORMED_BODY', 'The body must be a JSON object (or an XML document element).');
  }
  const parsed = DocumentSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw problemOf(parsed.error.issues.flatMap(findingsOf));
  const doc = parsed.data;
  throwIfAny(missingItemFields(doc));
  throwIfAny(repeatedItemKeys(doc));
  return doc;
}

/** Fields the document's strategy requires on every item (guide, section 12); "" and blanks count as missing. */
function missingItemFields(doc: Document): Finding[] {
  const strategy = effectiveStrategy(doc);
  if (!strategy) return [];
  return (doc.items ?? []).flatMap((item, index) =>
    REQUIRED_ITEM_FIELDS[strategy]
      .filter((field) => lacksItemField(item, field))
      .map((field) => ({
        status: 422,
        code: 'MISSING_ITEM_FIELD',
        path: `items[${index}].${field}`,
        message: `${field} is required for ${strategy}`,
      })),
  );
}

/** "Kargo also checks that the incoming request does not contain duplicate lpn + sku pairs" (guide, section 6). */
function repeatedItemKeys(doc: Document): Finding[] {
  const firstIndex = new Map<string, number>();
  const findings: Finding[] = [];
  (doc.items ?? []).forEach((item, index) => {
    const key = itemKey(item);
    const first = firstIndex.get(key);
    if (first === undefined) firstIndex.set(key, index);
    else
      findings.push({
        status: 409,
        code: 'DUPLICATE_ITEM_KEY_IN_REQUEST',
        path: `items[${index}]`,
        message: `lpn=${item.lpn ?? ''}, sku=${item.sku ?? ''} repeats items[${first}]`,
      });
  });
  return findings;
}

function throwIfAny(findings: Finding[]): void {
  if (findings.length > 0) throw problemOf(findings);
}

function problemOf(findings: Finding[]): EngineProblem {
  const ordered = [...findings].sort((a, b) => a.status - b.status);
  const first = ordered[0]!;
  const errors = ordered.map(({ path, message }) => ({ path, message }));
  const detail = errors.map(({ path, message }) => (path ? `${path}: ${message}` : message)).join('; ');
  return new EngineProblem(first.status, first.code, detail, errors);
}

function findingsOf(issue: Issue): Finding[] {
  const path = pathText(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ status: 422, code: 'UNKNOWN_FIELD', path: pathText([...issue.path, key]), message: 'unknown field' }));
  }
  // A missing field has no value to be of a wrong type: a missing enum (`direction`) is reported as invalid_value.
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined) {
    return [{ status: 422, code: 'MISSING_FIELD', path, message: 'is required' }];
  }
  if (isTypeMismatch(issue)) {
    return [{ status: 400, code: 'BAD_FIELD_TYPE', path, message: `expected ${expectedTypes(issue).join(' or ')}, got ${jsonType(issue.input)}` }];
  }
  if (issue.code === 'invalid_value') {
    return [{ status: 422, code: 'INVALID_ENUM', path, message: `must be one of ${issue.values.join(', ')}` }];
  }
  return [{ status: 422, code: 'INVALID_FIELD', path, message: issue.message }];
}

/**
 * A wrong JSON type: a plain invalid_type, an enum or literal given a value of another type, or a union none of
 * whose branches takes the value's type (a number for `expirationDate`, an object in `additionalFields`).
 */
function isTypeMismatch(issue: Issue): boolean {
  switch (issue.code) {
    case 'invalid_type':
      return true;
    case 'invalid_value':
      return issue.values.every((value) => typeof value !== typeof issue.input);
    case 'invalid_union':
      return issue.errors.length > 0 && issue.errors.every((branch) => branch.some(isTypeMismatch));
    default:
      return false;
  }
}

function expectedTypes(issue: Issue): string[] {
  switch (issue.code) {
    case 'invalid_type':
      return [issue.expected];
    case 'invalid_value':
      return [...new Set(issue.values.map((value) => typeof value))];
    case 'invalid_union':
      return [...new Set(issue.errors.flatMap((branch) => branch.filter(isTypeMismatch).flatMap(expectedTypes)))];
    default:
      return [];
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  // JSON.parse reads 1e999 as Infinity.
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a number too large to hold';
  return typeof value;
}

/** ['items', 2, 'quantity'] → "items[2].quantity". */
function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '');
}
