import type { z } from 'zod';
import { DocumentSchema, effectiveStrategy, lacksItemField, REQUIRED_ITEM_FIELDS, type Document } from '../documents/document.ts';
import type { IntakeErrorValue, Place } from '../errors/intake-error.ts';

/** Where each part of an assembled document came from, to place validation errors. */
export interface DocumentTrace {
  /** The record the document fields came from. */
  documentPlace: Place;
  /** The record of each item, by item index. */
  itemPlaces: readonly Place[];
  /** Source field of an output field path (`items.quantity` → `Qty`). */
  columns: ReadonlyMap<string, string>;
  /**
   * The place of a source field of the document's record (`item` undefined) or of an item's: the segment or line
   * that holds it, which may not be the record's first (an X12 element, a fixed-width header field).
   */
  fieldPlace?: (item: number | undefined, column: string) => Place;
}

export type DocumentCheck = { ok: true; document: Document } | { ok: false; errors: IntakeErrorValue[] };

/**
 * The last gate before a document leaves the mapping: DocumentSchema, the item fields its strategy requires and
 * unique lpn + sku, i.e. what the engine would answer 422 or 409 for, found here with the line that caused it.
 * Validated once per document (not per field) to keep the hot path light.
 */
export function validateDocument(candidate: Record<string, unknown>, trace: DocumentTrace): DocumentCheck {
  // Without reportInput first: it costs a quarter of the parse, and only a failing document needs the inputs.
  const parsed = DocumentSchema.safeParse(candidate);
  if (!parsed.success) {
    const explained = DocumentSchema.safeParse(candidate, { reportInput: true });
    const issues = explained.success ? parsed.error.issues : explained.error.issues;
    return { ok: false, errors: issues.map((issue) => schemaError(issue, trace)) };
  }
  const document = parsed.data;
  const errors: IntakeErrorValue[] = [];
  const strategy = effectiveStrategy(document);
  const items = document.items ?? [];
  if (strategy) {
    const required = REQUIRED_ITEM_FIELDS[strategy];
    items.forEach((item, i) => {
      for (const name of required) {
        if (lacksItemField(item, name)) {
          errors.push({
            code: 'MAPPING_MISSING_ITEM_FIELD',
            message: `${name} is required for every item with strategy ${strategy}, and this item has none`,
            place: placeFor(['items', i, name], trace),
          });
        }
      }
    });
  }
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    if (item.lpn === undefined && item.sku === undefined) return;
    // Same pair as document.ts itemKey, joined by a separator no lpn or sku holds: JSON.stringify per item
    // was a tenth of the mapping's time.
    const key = `${item.lpn ?? ''}\u0000${item.sku ?? ''}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    const firstPlace = trace.itemPlaces[first] ?? {};
    const earlier = firstPlace.line !== undefined ? `line ${firstPlace.line}` : firstPlace.segment !== undefined ? `segment ${firstPlace.segment}` : `item ${first + 1}`;
    errors.push({
      code: 'MAPPING_DUPLICATE_ITEM_KEY',
      message: `lpn ${JSON.stringify(item.lpn ?? '')} + sku ${JSON.stringify(item.sku ?? '')} is already on ${earlier} of this order; the platform refuses duplicate lpn + sku`,
      place: { ...(trace.itemPlaces[i] ?? trace.documentPlace), field: 'items.lpn+sku' },
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, document };
}

function placeFor(path: readonly PropertyKey[], trace: DocumentTrace): Place {
  const inItem = path[0] === 'items' && typeof path[1] === 'number';
  const item = inItem && trace.itemPlaces[path[1] as number] !== undefined ? (path[1] as number) : undefined;
  const base = item === undefined ? trace.documentPlace : trace.itemPlaces[item]!;
  const fieldPath = inItem ? ['items', ...path.slice(2).map(String)].join('.') : ['document', ...path.map(String)].join('.');
  const column = trace.columns.get(fieldPath);
  if (column === undefined) return { ...base, field: fieldPath };
  if (trace.fieldPlace && (item !== undefined || !inItem)) return { ...trace.fieldPlace(item, column), field: fieldPath };
  return { ...base, ...(base.segment !== undefined ? { element: column } : { column }), field: fieldPath };
}

function schemaError(issue: z.core.$ZodIssue, trace: DocumentTrace): IntakeErrorValue {
  const got = 'input' in issue && issue.input !== undefined ? `, got ${JSON.stringify(issue.input)}` : '';
  let message: string;
  switch (issue.code) {
    case 'invalid_type':
      message = issue.input === undefined ? 'is required' : `expected a ${issue.expected}${got}`;
      break;
    case 'too_small':
      message = issue.origin === 'number' ? `must not be negative${got}` : issue.origin === 'string' ? 'must not be empty' : issue.message;
      break;
    case 'too_big':
      message =
        issue.origin === 'string'
          ? `is longer than ${issue.maximum} characters`
          : issue.origin === 'array'
            ? `has more than ${issue.maximum} entries`
            : `${issue.message}${got}`;
      break;
    case 'invalid_value':
      message = `expected one of ${issue.values.join(', ')}${got}`;
      break;
    case 'invalid_union':
      message =
        issue.path[0] === 'additionalFields'
          ? `expected text, a number, true/false or null${got}`
          : `expected a date (yyyy-MM-dd) or a date-time with offset (ISO 8601)${got}`;
      break;
    case 'unrecognized_keys':
      message = `unknown field(s) ${issue.keys.join(', ')}`;
      break;
    default:
      message = `${issue.message}${got}`;
  }
  return { code: 'MAPPING_INVALID_DOCUMENT', message, place: placeFor(issue.path, trace) };
}
