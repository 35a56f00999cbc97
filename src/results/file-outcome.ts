import { z } from 'zod';
import { EntityRefSchema, type EntityRef } from '../documents/response.ts';
import { IntakeErrorSchema, type IntakeErrorValue } from '../errors/intake-error.ts';

/**
 * What finalize knows about one file when every document has an outcome: the input of every result file (CSV,
 * JSON, and the document side of an X12 997). Validated at the boundary because it is built from queued job
 * data that outlives deployments.
 */

/** The file's one final state. PARTIAL: some documents accepted, some not. DUPLICATE: the same bytes came before. */
export const FILE_STATES = ['COMPLETED', 'PARTIAL', 'REJECTED', 'FAILED', 'DUPLICATE'] as const;
export const FileStateSchema = z.enum(FILE_STATES);
export type FileState = z.infer<typeof FileStateSchema>;

/**
 * One document's outcome. REJECTED: the mapping or the engine said no (final). FAILED: the engine could not be
 * reached within the retry budget. SKIPPED: not attempted (for example after a file-level error). TEST_ONLY:
 * validated in test mode and deliberately not submitted.
 */
export const DOCUMENT_OUTCOMES = ['ACCEPTED', 'REJECTED', 'FAILED', 'SKIPPED', 'TEST_ONLY'] as const;
export const DocumentOutcomeSchema = z.enum(DOCUMENT_OUTCOMES);
export type DocumentOutcome = z.infer<typeof DocumentOutcomeSchema>;

const Unit = z.enum(['line', 'segment']);
const Position = z.number().int().positive();

/** A run of adjacent lines (or segments): first and last, 1-based. */
const SpanSchema = z.tuple([Position, Position]).refine(([first, last]) => last >= first, { message: 'last must not be before first' });

/**
 * Where a document came from in its file: lines (CSV, fixed-width) or segments (X12), as exact ranges in file
 * order, adjacent ones merged. A list rather than one first-to-last range because a document's rows need not be
 * adjacent (groupBy gathers an order's rows from anywhere in the file), and a range over them would also name
 * the lines of the documents between them.
 */
const SourceRangesSchema = z.object({ unit: Unit, ranges: z.array(SpanSchema).min(1) });

/**
 * Ledger rows written before sources were exact hold one first-to-last range; a file received then may be
 * finalized after an upgrade, so they are still read, as the one range they say.
 */
const LegacySourceRangeSchema = z
  .object({ unit: Unit, first: Position, last: Position })
  .transform(({ unit, first, last }): z.input<typeof SourceRangesSchema> => ({ unit, ranges: [[first, last]] }))
  .pipe(SourceRangesSchema);

export const SourceRangeSchema = z.union([SourceRangesSchema, LegacySourceRangeSchema]);
export type SourceRange = z.infer<typeof SourceRangeSchema>;

/**
 * How many ranges a result shows for one document: every realistic order fits, while a document made of
 * 100,000 scattered lines still gets a cell a spreadsheet can show (the rest is counted, not listed).
 */
export const SOURCE_RANGES_SHOWN = 20;

/** The ranges a result shows, and how many lines (or segments) the ranges beyond the cap hold. */
export function shownSource(source: SourceRange): { unit: SourceRange['unit']; ranges: SourceRange['ranges']; omitted: number } {
  const beyond = source.ranges.slice(SOURCE_RANGES_SHOWN);
  return { unit: source.unit, ranges: source.ranges.slice(0, SOURCE_RANGES_SHOWN), omitted: beyond.reduce((n, [first, last]) => n + last - first + 1, 0) };
}

/** Whether a document's source touches lines (or segments) first to last. */
export function sourceOverlaps(source: SourceRange, first: number, last: number): boolean {
  return source.ranges.some(([a, b]) => a <= last && b >= first);
}

export const DocumentRowSchema = z.object({
  /** The document's index in its file (the one in its Idempotency-Key). */
  index: z.number().int().nonnegative(),
  source: SourceRangeSchema.optional(),
  orderNumber: z.string().default(''),
  outcome: DocumentOutcomeSchema,
  /** HTTP status of the engine's final answer, when there was one. */
  engineStatus: z.number().int().optional(),
  created: z.array(EntityRefSchema).default([]),
  updated: z.array(EntityRefSchema).default([]),
  removed: z.array(EntityRefSchema).default([]),
  error: IntakeErrorSchema.optional(),
  correlationId: z.string().optional(),
});
export type DocumentRow = z.infer<typeof DocumentRowSchema>;
export type DocumentRowInput = z.input<typeof DocumentRowSchema>;

export const FileOutcomeSchema = z.object({
  fileId: z.string().min(1),
  /** The name the customer gave the file; result files are named after it. */
  originalName: z.string().min(1),
  customer: z.string().min(1),
  state: FileStateSchema,
  /** Why the file as a whole failed (no mapping, unreadable, duplicate); documents may then be SKIPPED or absent. */
  error: IntakeErrorSchema.optional(),
  /** Test mode: documents were validated, not submitted (their outcome is TEST_ONLY). */
  testMode: z.boolean().default(false),
  documents: z.array(DocumentRowSchema).default([]),
});
export type FileOutcome = z.infer<typeof FileOutcomeSchema>;
export type FileOutcomeInput = z.input<typeof FileOutcomeSchema>;

/**
 * "line 3", "lines 3-7", "lines 2-4, 7", "segments 12-40", and past the cap "lines 2, 4, 6 … and 980 more lines":
 * for a person, and for a program a fixed grammar (unit, then `N` or `N-M` items joined by ", ", then the
 * optional tail).
 */
export function describeSource(source: SourceRange | undefined): string {
  if (!source) return '';
  const { unit, ranges, omitted } = shownSource(source);
  const single = ranges.length === 1 && ranges[0]![0] === ranges[0]![1] && omitted === 0;
  const list = ranges.map(([first, last]) => (first === last ? String(first) : `${first}-${last}`)).join(', ');
  const tail = omitted > 0 ? ` … and ${omitted} more ${unit}${omitted === 1 ? '' : 's'}` : '';
  return `${unit}${single ? '' : 's'} ${list}${tail}`;
}

const ENTITY_ORDER = ['SHIPMENT', 'ORDER', 'ORDER_ITEM'] as const;

/** "SHIPMENT 6463000; ORDER 1268000; ORDER_ITEM 3700001,3700002": ids grouped by type, shipment first. */
export function summariseEntities(refs: readonly EntityRef[]): string {
  return ENTITY_ORDER.map((type) => {
    const idsOfType = refs.filter((ref) => ref.type === type).map((ref) => ref.id);
    return idsOfType.length > 0 ? `${type} ${idsOfType.join(',')}` : '';
  })
    .filter((part) => part !== '')
    .join('; ');
}
