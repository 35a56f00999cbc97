import { z } from 'zod';

/**
 * Where a problem is, as precisely as the format allows: the file, then a line (text formats) or a segment
 * number (X12), then a column or element, then the document field it was meant for.
 */
export const PlaceSchema = z.object({
  file: z.string().optional(),
  line: z.number().int().optional(),
  column: z.union([z.string(), z.number().int()]).optional(),
  segment: z.number().int().optional(),
  element: z.string().optional(),
  field: z.string().optional(),
});
export type Place = z.infer<typeof PlaceSchema>;

/** An error as a value: a registered code, a message a customer can act on, and the place. */
export const IntakeErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  place: PlaceSchema.default({}),
  /** Extra machine-readable facts (for example the AK3/AK4/AK5 codes of an X12 rejection). */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type IntakeErrorValue = z.infer<typeof IntakeErrorSchema>;

/** "orders.csv line 14, column "Qty"": the place in words, for messages and logs. */
export function describePlace(place: Place): string {
  const parts: string[] = [];
  if (place.file) parts.push(place.file);
  if (place.line !== undefined) parts.push(`line ${place.line}`);
  if (place.segment !== undefined) parts.push(`segment ${place.segment}`);
  const where = parts.join(' ');
  const detail: string[] = [];
  if (place.column !== undefined) detail.push(`column ${JSON.stringify(String(place.column))}`);
  if (place.element !== undefined) detail.push(`element ${place.element}`);
  if (place.field !== undefined) detail.push(`field ${place.field}`);
  return [where, detail.join(', ')].filter((s) => s !== '').join(', ');
}

/**
 * Thrown where a function cannot return an error value (deep in a stream); carries the same value.
 * Callers at the edges catch it and record `error.value`.
 */
export class IntakeError extends Error {
  override readonly name = 'IntakeError';
  constructor(readonly value: IntakeErrorValue) {
    const where = describePlace(value.place);
    super(where ? `${where}: ${value.message}` : value.message);
  }

  get code(): string {
    return this.value.code;
  }

  static of(code: string, message: string, place: Place = {}, details?: Record<string, unknown>): IntakeError {
    return new IntakeError({ code, message, place, ...(details ? { details } : {}) });
  }
}
