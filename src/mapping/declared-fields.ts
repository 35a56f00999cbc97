import type { FixedWidthOptionsInput } from '../formats/fixed-width/fixed-width-options.ts';
import { didYouMean } from './suggest-name.ts';

/**
 * The fields a record can have, when the mapping itself declares them: each as the records name it, with the
 * field's name in its record type (`order.orderNumber` → `orderNumber`), to point a prefix-less name to it.
 */
export type DeclaredFields = ReadonlyMap<string, string>;

/**
 * The fields a fixed-width layout gives its records, named as the reader names them (fixed-width-parser.ts): a
 * detail's own fields as declared, a header's and a continuation's under the record's prefix (default
 * `<name>.`), and recordTypeField. Trailers and ignored records make no record. Undefined for every other format:
 * CSV and xlsx columns come from the file (checked when it is read), JSON fields too, and X12 has its own grammar.
 */
export function declaredFields(format: { type: string } & Record<string, unknown>): DeclaredFields | undefined {
  if (format.type !== 'fixed-width') return undefined;
  const { records, recordTypeField } = format as unknown as FixedWidthOptionsInput;
  const fields = new Map<string, string>();
  for (const record of records) {
    const role = record.role ?? 'detail';
    if (role === 'trailer' || role === 'ignore') continue;
    const prefix = role === 'detail' ? '' : (record.prefix ?? `${record.name}.`);
    for (const field of record.fields ?? []) fields.set(prefix + field.name, field.name);
  }
  if (recordTypeField !== undefined) fields.set(recordTypeField, recordTypeField);
  return fields;
}

/** Why a record cannot have the field, with the fields it can have and the likeliest one meant; undefined when it can. */
export function undeclaredField(name: string, fields: DeclaredFields): string | undefined {
  if (fields.has(name)) return undefined;
  const names = [...fields.keys()];
  const listed = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
  // A field under the wrong prefix or none ("purchaseOrder" or "H.purchaseOrder" for "order.purchaseOrder", "line.sku"
  // for a detail's "sku") is no typo, and too far from the real name for an edit distance to find it.
  const lower = name.toLowerCase();
  const reprefixed = names.find((known) => {
    const own = fields.get(known)!.toLowerCase();
    return lower === own || lower.endsWith(`.${own}`);
  });
  const hint = reprefixed === undefined ? didYouMean(name, names) : ` (did you mean ${JSON.stringify(reprefixed)}?)`;
  return `no record of the fixed-width layout has a field ${JSON.stringify(name)} (the records have ${listed || 'none'})${hint}`;
}
